package dev.vaultgate.coordinator.notify;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import jakarta.mail.internet.MimeMessage;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupVaultEvent;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * Delivery end to end with real peers on loopback: a Vert.x HTTP receiver that checks every
 * signature, an in-process SMTP server (GreenMail), real PostgreSQL. One coordinator serves the
 * APIs with delivery off; a second one on the same database is the delivery worker, so a test can
 * stop it and start another (a restart) while the database keeps the outbox. Events come from
 * the real paths: the SDK starts a job, a gateway leases, completes or fails it over the agent API.
 */
class NotificationDeliveryTest {

  /** Long enough for a worker restart on a busy machine, short enough for the dead-letter test to wait out. */
  static final Duration MAX_AGE = Duration.ofSeconds(12);

  static Vertx vertx;
  static Coordinator api;
  static volatile Coordinator worker;
  static Map<String, String> workerEnv;
  static GreenMail smtp;
  static int smtpPort;
  static HttpServer receiver;
  static HttpServer tlsReceiver;
  static SelfSignedCertificate certificate;

  /** How the receiver answers on one path. */
  enum Mode { OK, FAIL_500, SILENT }

  /** What the receiver saw on one path: every attempt, and the messages it accepted (signature good). */
  static final class Hook {
    final String path = "/hook/" + UUID.randomUUID();
    final String secret = "test-secret-" + UUID.randomUUID();
    volatile Mode mode = Mode.OK;
    volatile boolean confirmed;
    volatile boolean neverConfirm;
    volatile int confirmationsSeen;
    final List<JsonObject> attempts = Collections.synchronizedList(new ArrayList<>());
    final List<JsonObject> accepted = Collections.synchronizedList(new ArrayList<>());
    final List<String> badSignatures = Collections.synchronizedList(new ArrayList<>());

    String url() {
      return "http://127.0.0.1:" + receiver.actualPort() + path;
    }

    String httpsUrl() {
      return "https://localhost:" + tlsReceiver.actualPort() + path;
    }

    Set<String> acceptedEvents() {
      return accepted.stream().map(NotificationDeliveryTest::eventType).collect(Collectors.toSet());
    }
  }

  static final Map<String, Hook> HOOKS = new ConcurrentHashMap<>();
  static final java.net.http.HttpClient CONFIRMER = java.net.http.HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    if (System.getProperty("ot.epg.working-dir") == null) {
      System.setProperty("ot.epg.working-dir", Path.of("target", "epg").toAbsolutePath().toString());
    }
    vertx = Vertx.vertx();
    smtpPort = freePort();
    smtp = startSmtp();
    receiver = await(vertx.createHttpServer().requestHandler(NotificationDeliveryTest::receive).listen(0, "127.0.0.1"));
    certificate = SelfSignedCertificate.create("localhost");
    tlsReceiver = await(vertx.createHttpServer(new HttpServerOptions().setSsl(true)
            .setKeyCertOptions(certificate.keyCertOptions()))
        .requestHandler(NotificationDeliveryTest::receive).listen(0, "127.0.0.1"));

    Map<String, String> smtpEnv = Map.of("VAULTGATE_SMTP_HOST", "127.0.0.1", "VAULTGATE_SMTP_PORT",
        Integer.toString(smtpPort), "VAULTGATE_SMTP_STARTTLS", "DISABLED", "VAULTGATE_SMTP_FROM", "vaultgate@test.local");
    Map<String, String> apiEnv = new HashMap<>(smtpEnv);
    apiEnv.put("VAULTGATE_NOTIFY_POLL_MS", "0"); // this one only serves the APIs
    Path dir = Path.of("target", "test-data", "notify-" + UUID.randomUUID()).toAbsolutePath();
    api = await(Coordinator.start(vertx, CoordinatorConfig.forTests(dir), apiEnv, Clock.systemUTC()));

    workerEnv = new HashMap<>(smtpEnv);
    workerEnv.put("VAULTGATE_NOTIFY_POLL_MS", "100");
    workerEnv.put("VAULTGATE_NOTIFY_RETRY_BASE_MS", "200");
    workerEnv.put("VAULTGATE_NOTIFY_RETRY_MAX_MS", "800");
    workerEnv.put("VAULTGATE_NOTIFY_TIMEOUT_MS", "1000");
    workerEnv.put("VAULTGATE_NOTIFY_MAX_AGE_SECONDS", Long.toString(MAX_AGE.toSeconds()));
    workerEnv.put("VAULTGATE_NOTIFY_CA_FILE", certificate.certificatePath()); // trust the https receiver's own CA
    worker = startWorker();
  }

  /** Both receivers: records each attempt, answers as the hook's mode says, accepts only good signatures. */
  static void receive(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      Hook hook = HOOKS.get(req.path());
      if (hook == null) {
        req.response().setStatusCode(404).end();
        return;
      }
      JsonObject message = new JsonObject(body);
      boolean signed = WebhookSignature.verify(hook.secret, req.getHeader(WebhookSignature.HEADER), body.getBytes(),
          System.currentTimeMillis() / 1000, 300);
      if ("SubscriptionConfirmation".equals(req.getHeader("x-amz-sns-message-type"))) {
        // what an SNS-aware receiver does: check the message, then visit its SubscribeURL
        if (!signed) {
          req.response().setStatusCode(401).end();
          return;
        }
        hook.confirmationsSeen++;
        if (hook.neverConfirm) {
          req.response().setStatusCode(200).end();
          return;
        }
        CONFIRMER.sendAsync(java.net.http.HttpRequest.newBuilder(URI.create(message.getString("SubscribeURL"))).GET()
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString())
            .whenComplete((r, e) -> {
              if (e == null && r.statusCode() == 200) hook.confirmed = true;
              vertx.runOnContext(v -> req.response().setStatusCode(200).end());
            });
        return;
      }
      hook.attempts.add(message);
      switch (hook.mode) {
        case SILENT -> { } // never answers: the sender's timeout must end the attempt
        case FAIL_500 -> req.response().setStatusCode(500).end("down for maintenance");
        case OK -> {
          boolean good = signed && "Notification".equals(req.getHeader("x-amz-sns-message-type"));
          if (good) {
            hook.accepted.add(message);
            req.response().setStatusCode(200).end();
          } else {
            hook.badSignatures.add(req.getHeader(WebhookSignature.HEADER));
            req.response().setStatusCode(401).end();
          }
        }
      }
    });
  }

  static Coordinator startWorker() {
    Path dir = Path.of("target", "test-data", "notify-worker-" + UUID.randomUUID()).toAbsolutePath();
    CoordinatorConfig config = new CoordinatorConfig("127.0.0.1", 0, dir, api.embeddedDatabaseUrl().orElseThrow(),
        "us-east-1", "000000000000", 1, 1024 * 1024, Duration.ZERO);
    return await(Coordinator.start(vertx, config, workerEnv, Clock.systemUTC()));
  }

  static GreenMail startSmtp() {
    GreenMail mail = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    mail.start();
    return mail;
  }

  @AfterAll
  static void stop() {
    if (worker != null) await(worker.close());
    if (api != null) await(api.close());
    if (receiver != null) await(receiver.close());
    if (tlsReceiver != null) await(tlsReceiver.close());
    if (smtp != null) smtp.stop();
    if (vertx != null) await(vertx.close());
  }

  /** A fresh account with a topic, a vault whose notifications go to it, and a gateway. */
  record Account(AccessKey key, BackupClient backup, SnsClient sns, String topic, String vault, AgentClient gateway) {
    String runBackup(boolean succeed) {
      String job = backup.startBackupJob(r -> r.backupVaultName(vault)
          .iamRoleArn("arn:aws:iam::" + key.accountId() + ":role/backup")
          .resourceArn("arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":vm/vm-" + UUID.randomUUID()))
          .backupJobId();
      AgentClient.Reply lease = gateway.lease();
      assertEquals(job, lease.body().getJsonObject("job").getString("jobId"), lease.body().encode());
      AgentClient.Reply end = succeed ? gateway.complete(job, 4096) : gateway.fail(job, "disk unreadable");
      assertEquals(200, end.status(), end.body().encode());
      return job;
    }

    String subscribe(Hook hook) {
      return subscribe(hook, "http", hook.url());
    }

    String subscribeHttps(Hook hook) {
      return subscribe(hook, "https", hook.httpsUrl());
    }

    /** Subscribes and waits until the receiver confirmed (answering OK meanwhile), then restores its mode. */
    private String subscribe(Hook hook, String protocol, String url) {
      HOOKS.put(hook.path, hook);
      Mode wanted = hook.mode;
      hook.mode = Mode.OK;
      String arn = sns.subscribe(r -> r.topicArn(topic).protocol(protocol).endpoint(url).returnSubscriptionArn(true)
          .attributes(Map.of("SigningSecret", hook.secret))).subscriptionArn();
      waitFor("the receiver to confirm", Duration.ofSeconds(20), () -> hook.confirmed);
      hook.mode = wanted;
      return arn;
    }

    /** Subscribes an address and confirms with the link of the confirmation mail, as its reader would. */
    String subscribeEmail(String to) throws Exception {
      String arn = sns.subscribe(r -> r.topicArn(topic).protocol("email").endpoint(to).returnSubscriptionArn(true))
          .subscriptionArn();
      MimeMessage mail = waitForMail(to, Duration.ofSeconds(20));
      String text = GreenMailUtil.getBody(mail);
      java.util.regex.Matcher link = java.util.regex.Pattern.compile("(http://\\S+Action=ConfirmSubscription\\S+)")
          .matcher(text.replace("=\r\n", "").replace("=3D", "="));
      assertTrue(link.find(), text);
      var answer = CONFIRMER.send(java.net.http.HttpRequest.newBuilder(URI.create(link.group(1))).GET().build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, answer.statusCode(), answer.body());
      assertTrue(answer.body().contains(arn), answer.body());
      smtp.purgeEmailFromAllMailboxes();
      return arn;
    }
  }

  static Account account(BackupVaultEvent... events) {
    AccessKey key = await(api.accessKeys().issue(String.format("%012d",
        Math.abs(UUID.randomUUID().getMostSignificantBits()) % 1_000_000_000_000L)));
    URI endpoint = URI.create("http://127.0.0.1:" + api.port());
    BackupClient backup = TestCoordinator.client(endpoint, key);
    SnsClient sns = TestCoordinator.sns(endpoint, key);
    String topic = sns.createTopic(r -> r.name("vault-events")).topicArn();
    String vault = TestCoordinator.unique("notify");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    backup.putBackupVaultNotifications(r -> r.backupVaultName(vault).snsTopicArn(topic).backupVaultEvents(events));
    return new Account(key, backup, sns, topic, vault, AgentClient.register(endpoint, key, "gw"));
  }

  @Test
  void aWebhookGetsSignedSnsMessagesForTheEventsItsVaultSubscribesTo() {
    Account a = account(BackupVaultEvent.BACKUP_JOB_STARTED, BackupVaultEvent.BACKUP_JOB_COMPLETED);
    Hook hook = new Hook();
    String subscription = a.subscribe(hook);
    String job = a.runBackup(true);
    waitFor("two notifications", Duration.ofSeconds(20), () -> hook.accepted.size() >= 2);
    sleep(500); // nothing else comes: BACKUP_JOB_SUCCESSFUL is not subscribed to
    assertEquals(2, hook.accepted.size(), hook.accepted.toString());
    assertEquals(Set.of("BACKUP_JOB_STARTED", "BACKUP_JOB_COMPLETED"), hook.acceptedEvents());
    assertTrue(hook.badSignatures.isEmpty());
    for (JsonObject m : hook.accepted) {
      assertEquals("Notification", m.getString("Type"));
      assertEquals(a.topic(), m.getString("TopicArn"));
      assertTrue(m.getString("Message").contains(job), m.encode());
      assertEquals(job, attribute(m, "Id"));
      assertEquals(a.vault(), attribute(m, "BackupVaultName"));
      UUID.fromString(m.getString("MessageId"));
    }
    JsonObject completed = hook.accepted.stream().filter(m -> eventType(m).equals("BACKUP_JOB_COMPLETED")).findFirst()
        .orElseThrow();
    assertEquals("COMPLETED", attribute(completed, "State"));
    assertTrue(completed.getString("Message").startsWith("An AWS Backup job was completed successfully"));
    assertTrue(subscription.startsWith(a.topic()));
    waitFor("the outbox to empty", Duration.ofSeconds(5), () -> pending(a.topic()) == 0);
  }

  @Test
  void anEndpointThatNeverConfirmedGetsNoNotifications() {
    Account a = account(BackupVaultEvent.BACKUP_JOB_STARTED, BackupVaultEvent.BACKUP_JOB_COMPLETED);
    Hook hook = new Hook();
    hook.neverConfirm = true;
    HOOKS.put(hook.path, hook);
    a.sns().subscribe(r -> r.topicArn(a.topic()).protocol("http").endpoint(hook.url())
        .attributes(Map.of("SigningSecret", hook.secret)));
    waitFor("the confirmation message", Duration.ofSeconds(20), () -> hook.confirmationsSeen == 1);
    a.runBackup(true);
    sleep(1000);
    assertTrue(hook.attempts.isEmpty(), "nothing but the confirmation: " + hook.attempts);
    assertEquals(0, pending(a.topic()));
  }

  @Test
  void anHttpsWebhookSignedByTheConfiguredCaGetsTheNotification() {
    Account a = account(BackupVaultEvent.BACKUP_JOB_COMPLETED);
    Hook hook = new Hook();
    a.subscribeHttps(hook);
    String job = a.runBackup(true);
    waitFor("the delivery over TLS", Duration.ofSeconds(20), () -> hook.accepted.size() == 1);
    assertEquals(job, attribute(hook.accepted.get(0), "Id"));
  }

  @Test
  void aReceiverAnswering500IsRetriedWithTheSameMessageUntilItRecovers() {
    Account a = account(BackupVaultEvent.BACKUP_JOB_FAILED);
    Hook hook = new Hook();
    hook.mode = Mode.FAIL_500;
    a.subscribe(hook);
    String job = a.runBackup(false);
    waitFor("three failed attempts", Duration.ofSeconds(20), () -> hook.attempts.size() >= 3);
    assertTrue(hook.accepted.isEmpty());
    hook.mode = Mode.OK;
    waitFor("the delivery", Duration.ofSeconds(20), () -> hook.accepted.size() == 1);
    JsonObject m = hook.accepted.get(0);
    assertEquals("BACKUP_JOB_FAILED", eventType(m));
    assertEquals("FAILED", attribute(m, "State"));
    assertTrue(m.getString("Message").contains("disk unreadable"), m.encode());
    Set<String> ids = new java.util.HashSet<>();
    synchronized (hook.attempts) {
      hook.attempts.forEach(x -> ids.add(x.getString("MessageId")));
    }
    assertEquals(Set.of(m.getString("MessageId")), ids, "every retry carries the same message");
    waitFor("the outbox to empty", Duration.ofSeconds(5), () -> pending(a.topic()) == 0);
  }

  @Test
  void aReceiverThatNeverAnswersTimesOutAndIsRetried() {
    Account a = account(BackupVaultEvent.BACKUP_JOB_STARTED);
    Hook hook = new Hook();
    hook.mode = Mode.SILENT;
    a.subscribe(hook);
    a.runBackup(true);
    waitFor("two unanswered attempts", Duration.ofSeconds(20), () -> hook.attempts.size() >= 2);
    hook.mode = Mode.OK;
    waitFor("the delivery", Duration.ofSeconds(20), () -> hook.accepted.size() == 1);
    assertEquals("BACKUP_JOB_STARTED", eventType(hook.accepted.get(0)));
  }

  @Test
  void nothingIsLostWhileNoWorkerRunsAndANewOneDeliversAfterARestart() {
    Account a = account(BackupVaultEvent.BACKUP_JOB_STARTED, BackupVaultEvent.BACKUP_JOB_COMPLETED,
        BackupVaultEvent.BACKUP_JOB_FAILED);
    Hook hook = new Hook();
    hook.mode = Mode.FAIL_500;
    a.subscribe(hook);
    a.runBackup(true);
    a.runBackup(false);
    // started + completed, started + completed + failed
    waitFor("attempts at all five", Duration.ofSeconds(20),
        () -> hook.attempts.stream().map(m -> m.getString("MessageId")).distinct().count() == 5);
    await(worker.close());
    hook.mode = Mode.OK;
    sleep(700);
    assertTrue(hook.accepted.isEmpty(), "no worker, no delivery");
    assertEquals(5, pending(a.topic()), "all five wait in the database");
    worker = startWorker();
    waitFor("all five delivered", Duration.ofSeconds(20), () -> hook.accepted.size() >= 5);
    List<String> events = hook.accepted.stream().map(NotificationDeliveryTest::eventType).sorted().toList();
    assertEquals(List.of("BACKUP_JOB_COMPLETED", "BACKUP_JOB_COMPLETED", "BACKUP_JOB_FAILED", "BACKUP_JOB_STARTED",
        "BACKUP_JOB_STARTED"), events);
    waitFor("the outbox to empty", Duration.ofSeconds(5), () -> pending(a.topic()) == 0);
  }

  @Test
  void twoWorkersOnOneDatabaseDeliverEachNotificationOnce() {
    Account a = account(BackupVaultEvent.BACKUP_JOB_STARTED, BackupVaultEvent.BACKUP_JOB_COMPLETED);
    Hook hook = new Hook();
    hook.mode = Mode.FAIL_500; // let the outbox fill, then both workers race for it
    a.subscribe(hook);
    Coordinator second = startWorker();
    try {
      for (int i = 0; i < 10; i++) a.runBackup(true);
      hook.mode = Mode.OK;
      waitFor("twenty deliveries", Duration.ofSeconds(30), () -> hook.accepted.size() >= 20);
      waitFor("the outbox to empty", Duration.ofSeconds(10), () -> pending(a.topic()) == 0);
      sleep(500);
      List<String> ids = hook.accepted.stream().map(m -> m.getString("MessageId")).toList();
      assertEquals(20, ids.size(), "no delivery twice");
      assertEquals(20, Set.copyOf(ids).size());
    } finally {
      await(second.close());
    }
  }

  @Test
  void aDeliveryPastItsMaxAgeIsDeadVisibleAndListed() {
    Account a = account(BackupVaultEvent.BACKUP_JOB_COMPLETED);
    Hook hook = new Hook();
    hook.mode = Mode.FAIL_500;
    a.subscribe(hook);
    a.runBackup(true);
    waitFor("the delivery to be given up", MAX_AGE.plusSeconds(15),
        () -> !await(api.notificationOutbox().dead(a.topic(), 10)).isEmpty());
    List<NotificationOutbox.Dead> dead = await(api.notificationOutbox().dead(a.topic(), 10));
    assertEquals(1, dead.size());
    assertEquals("BACKUP_JOB_COMPLETED", dead.get(0).eventType());
    assertTrue(dead.get(0).lastError().contains("HTTP 500"), dead.get(0).lastError());
    assertTrue(dead.get(0).attempts() >= 3, "attempts " + dead.get(0).attempts());
    Map<String, String> attrs = a.sns().getTopicAttributes(r -> r.topicArn(a.topic())).attributes();
    assertEquals("1", attrs.get("VaultgateDeliveriesDead"));
    assertEquals("0", attrs.get("VaultgateDeliveriesPending"));
    int seen = hook.attempts.size();
    hook.mode = Mode.OK;
    sleep(1000);
    assertEquals(seen, hook.attempts.size(), "a dead delivery is not tried again");
  }

  @Test
  void anEmailSubscriptionGetsTheNotificationOverSmtp() throws Exception {
    Account a = account(BackupVaultEvent.BACKUP_JOB_FAILED);
    String to = "ops-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
    a.subscribeEmail(to);
    String job = a.runBackup(false);
    MimeMessage mail = waitForMail(to, Duration.ofSeconds(20));
    assertTrue(mail.getSubject().contains("BACKUP_JOB_FAILED"), mail.getSubject());
    assertEquals("vaultgate@test.local", mail.getFrom()[0].toString());
    String text = GreenMailUtil.getBody(mail);
    assertTrue(text.contains(job), text);
    assertTrue(text.contains("disk unreadable"), text);
  }

  @Test
  void mailWaitsWhileTheSmtpServerIsDownAndArrivesWhenItIsBack() throws Exception {
    Account a = account(BackupVaultEvent.BACKUP_JOB_COMPLETED);
    String to = "oncall-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
    String subscription = a.subscribeEmail(to);
    smtp.stop();
    try {
      String job = a.runBackup(true);
      waitFor("two failed SMTP attempts", Duration.ofSeconds(20), () -> attempts(subscription) >= 2);
      assertEquals(1, pending(a.topic()));
      smtp = startSmtp();
      MimeMessage mail = waitForMail(to, Duration.ofSeconds(20));
      assertTrue(GreenMailUtil.getBody(mail).contains(job));
      waitFor("the outbox to empty", Duration.ofSeconds(5), () -> pending(a.topic()) == 0);
    } finally {
      if (!smtp.isRunning()) smtp = startSmtp();
    }
  }

  @Test
  void aStateChangeThatRollsBackLeavesNoNotification() {
    Account a = account(BackupVaultEvent.BACKUP_JOB_FAILED);
    Hook hook = new Hook();
    a.subscribe(hook);
    String job = a.backup().startBackupJob(r -> r.backupVaultName(a.vault())
        .iamRoleArn("arn:aws:iam::" + a.key().accountId() + ":role/backup")
        .resourceArn("arn:aws:backup-gateway:us-east-1:" + a.key().accountId() + ":vm/vm-rollback")).backupJobId();
    long[] inside = new long[1];
    Future<Void> rolledBack = api.pool().withTransaction(conn -> conn
        .preparedQuery("UPDATE backup_jobs SET state = 'FAILED' WHERE job_id = $1").execute(Tuple.of(job))
        .compose(r -> conn.preparedQuery("SELECT count(*) FROM notification_outbox WHERE topic_arn = $1")
            .execute(Tuple.of(a.topic())))
        .compose(rows -> {
          inside[0] = rows.iterator().next().getLong(0);
          return Future.failedFuture("the crash before commit");
        }));
    assertFalse(TestCoordinator.awaitOutcome(rolledBack));
    assertEquals(1, inside[0], "the outbox row is written in the state change's transaction");
    assertEquals(0, pending(a.topic()), "and goes with it");
    assertEquals("CREATED", a.backup().describeBackupJob(r -> r.backupJobId(job)).stateAsString());
    sleep(500);
    assertTrue(hook.attempts.isEmpty());
  }

  @Test
  void aLifecycleChangeSendsRecoveryPointModified() {
    Account a = account(BackupVaultEvent.RECOVERY_POINT_MODIFIED);
    Hook hook = new Hook();
    a.subscribe(hook);
    String job = a.runBackup(true);
    String point = a.backup().describeBackupJob(r -> r.backupJobId(job)).recoveryPointArn();
    sleep(300);
    assertTrue(hook.accepted.isEmpty(), "a new point is not a modification");
    a.backup().updateRecoveryPointLifecycle(r -> r.backupVaultName(a.vault()).recoveryPointArn(point)
        .lifecycle(l -> l.deleteAfterDays(30L)));
    waitFor("the notification", Duration.ofSeconds(20), () -> hook.accepted.size() == 1);
    assertEquals("RECOVERY_POINT_MODIFIED", eventType(hook.accepted.get(0)));
    assertEquals(point, attribute(hook.accepted.get(0), "RecoveryPointArn"));
  }

  @Test
  void restoreAndCopyJobsNotifyTheVaultOfTheirRecoveryPoint() {
    Account a = account(BackupVaultEvent.RESTORE_JOB_STARTED, BackupVaultEvent.RESTORE_JOB_COMPLETED,
        BackupVaultEvent.RESTORE_JOB_SUCCESSFUL, BackupVaultEvent.COPY_JOB_STARTED,
        BackupVaultEvent.COPY_JOB_SUCCESSFUL, BackupVaultEvent.COPY_JOB_FAILED);
    Hook hook = new Hook();
    a.subscribe(hook);
    String job = a.runBackup(true);
    String point = a.backup().describeBackupJob(r -> r.backupJobId(job)).recoveryPointArn();
    String role = "arn:aws:iam::" + a.key().accountId() + ":role/backup";

    String restore = a.backup().startRestoreJob(r -> r.recoveryPointArn(point).iamRoleArn(role)
        .metadata(Map.of("VMName", "restored"))).restoreJobId();
    AgentClient.Reply lease = a.gateway().post("/restore-jobs/lease", new JsonObject());
    assertEquals(restore, lease.body().getJsonObject("job").getString("jobId"), lease.body().encode());
    String created = "arn:aws:backup-gateway:us-east-1:" + a.key().accountId() + ":vm/restored";
    assertEquals(200, a.gateway().post("/restore-jobs/" + restore + "/complete",
        new JsonObject().put("createdResourceArn", created)).status());

    String destination = TestCoordinator.unique("copies");
    String destinationArn = a.backup().createBackupVault(r -> r.backupVaultName(destination)).backupVaultArn();
    String copy = a.backup().startCopyJob(r -> r.recoveryPointArn(point).sourceBackupVaultName(a.vault())
        .destinationBackupVaultArn(destinationArn).iamRoleArn(role)).copyJobId();
    AgentClient.Reply copyLease = a.gateway().post("/copy-jobs/lease", new JsonObject());
    assertEquals(copy, copyLease.body().getJsonObject("job").getString("jobId"), copyLease.body().encode());
    AgentClient.Reply copied = a.gateway().post("/copy-jobs/" + copy + "/complete",
        new JsonObject().put("backupSizeInBytes", 4096));
    assertEquals(200, copied.status(), copied.body().encode());
    // a second copy that the gateway fails
    String failing = a.backup().startCopyJob(r -> r.recoveryPointArn(point).sourceBackupVaultName(a.vault())
        .destinationBackupVaultArn(destinationArn).iamRoleArn(role)).copyJobId();
    AgentClient.Reply failingLease = a.gateway().post("/copy-jobs/lease", new JsonObject());
    assertEquals(failing, failingLease.body().getJsonObject("job").getString("jobId"), failingLease.body().encode());
    AgentClient.Reply failed = a.gateway().post("/copy-jobs/" + failing + "/fail",
        new JsonObject().put("message", "destination store full"));
    assertEquals(200, failed.status(), failed.body().encode());

    waitFor("seven notifications", Duration.ofSeconds(20), () -> hook.accepted.size() >= 7);
    sleep(300);
    assertEquals(Set.of("RESTORE_JOB_STARTED", "RESTORE_JOB_COMPLETED", "RESTORE_JOB_SUCCESSFUL", "COPY_JOB_STARTED",
        "COPY_JOB_SUCCESSFUL", "COPY_JOB_FAILED"), hook.acceptedEvents());
    assertEquals(7, hook.accepted.size(), hook.accepted.toString()); // two copies started, one succeeded, one failed
    JsonObject copyFailed = hook.accepted.stream().filter(m -> eventType(m).equals("COPY_JOB_FAILED")).findFirst()
        .orElseThrow();
    assertEquals(failing, attribute(copyFailed, "Id"));
    JsonObject done = hook.accepted.stream().filter(m -> eventType(m).equals("RESTORE_JOB_COMPLETED")).findFirst()
        .orElseThrow();
    assertEquals(restore, attribute(done, "Id"));
    assertEquals(created, attribute(done, "CreatedResourceArn"));
    JsonObject copyDone = hook.accepted.stream().filter(m -> eventType(m).equals("COPY_JOB_SUCCESSFUL")).findFirst()
        .orElseThrow();
    assertEquals(copy, attribute(copyDone, "Id"));
    assertEquals(destinationArn, attribute(copyDone, "DestinationBackupVaultArn"));
  }

  @Test
  void anExpiredJobAndPlanChangesNotify() {
    Account a = account(BackupVaultEvent.BACKUP_JOB_EXPIRED, BackupVaultEvent.BACKUP_PLAN_CREATED,
        BackupVaultEvent.BACKUP_PLAN_MODIFIED);
    Hook hook = new Hook();
    a.subscribe(hook);
    String job = a.backup().startBackupJob(r -> r.backupVaultName(a.vault()).startWindowMinutes(60L)
        .iamRoleArn("arn:aws:iam::" + a.key().accountId() + ":role/backup")
        .resourceArn("arn:aws:backup-gateway:us-east-1:" + a.key().accountId() + ":vm/never-leased")).backupJobId();
    await(api.scheduler().tick(java.time.Instant.now().plus(Duration.ofHours(2))));
    assertEquals("EXPIRED", a.backup().describeBackupJob(r -> r.backupJobId(job)).stateAsString());

    software.amazon.awssdk.services.backup.model.BackupRuleInput rule =
        software.amazon.awssdk.services.backup.model.BackupRuleInput.builder().ruleName("nightly")
            .targetBackupVaultName(a.vault()).scheduleExpression("cron(0 5 ? * * *)").build();
    String plan = a.backup().createBackupPlan(r -> r.backupPlan(p -> p.backupPlanName("p-" + UUID.randomUUID())
        .rules(rule))).backupPlanId();
    a.backup().updateBackupPlan(r -> r.backupPlanId(plan).backupPlan(p -> p.backupPlanName("p2")
        .rules(rule.toBuilder().startWindowMinutes(120L).build())));

    waitFor("three notifications", Duration.ofSeconds(20), () -> hook.accepted.size() >= 3);
    assertEquals(Set.of("BACKUP_JOB_EXPIRED", "BACKUP_PLAN_CREATED", "BACKUP_PLAN_MODIFIED"), hook.acceptedEvents());
    JsonObject expired = hook.accepted.stream().filter(m -> eventType(m).equals("BACKUP_JOB_EXPIRED")).findFirst()
        .orElseThrow();
    assertEquals(job, attribute(expired, "Id"));
    assertEquals("EXPIRED", attribute(expired, "State"));
    hook.accepted.stream().filter(m -> eventType(m).startsWith("BACKUP_PLAN"))
        .forEach(m -> assertEquals(plan, attribute(m, "Id")));
  }

  /**
   * A restore test whose restore completed but whose validation the gateway found FAILED (a restored block that
   * differs from the backup's checksum) notifies RESTORE_JOB_FAILED (migration V14's trigger); its SUCCESSFUL clean-up
   * notifies nothing more. Only the gateway that leased the test may report on it. The plan and selection go over
   * the wire (SigV4-signed REST as the SDKs send it), the scheduler starts the test, a gateway runs it over the agent
   * API.
   */
  @Test
  void aRestoreTestWhoseValidationFailsNotifiesRestoreJobFailed() {
    Account a = account(BackupVaultEvent.RESTORE_JOB_FAILED);
    Hook hook = new Hook();
    a.subscribe(hook);
    String backupJob = a.runBackup(true);
    var described = a.backup().describeBackupJob(r -> r.backupJobId(backupJob));
    String point = described.recoveryPointArn();
    String resource = described.resourceArn();
    URI endpoint = URI.create("http://127.0.0.1:" + api.port());
    String plan = "rt_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    var created = dev.vaultgate.coordinator.testing.SignedHttp.send(endpoint, a.key(), "PUT", "/restore-testing/plans",
        new JsonObject().put("RestoreTestingPlan", new JsonObject().put("RestoreTestingPlanName", plan)
            .put("ScheduleExpression", "cron(0 3 ? * * *)").put("StartWindowHours", 24)
            .put("RecoveryPointSelection", new JsonObject().put("Algorithm", "LATEST_WITHIN_WINDOW")
                .put("IncludeVaults", new io.vertx.core.json.JsonArray().add("*")).put("SelectionWindowDays", 7))).encode());
    assertEquals(201, created.status(), created.body());
    var selected = dev.vaultgate.coordinator.testing.SignedHttp.send(endpoint, a.key(), "PUT",
        "/restore-testing/plans/" + plan + "/selections", new JsonObject().put("RestoreTestingSelection", new JsonObject()
            .put("RestoreTestingSelectionName", "one").put("ProtectedResourceType", "VirtualMachine")
            .put("IamRoleArn", "arn:aws:iam::" + a.key().accountId() + ":role/restore")
            .put("ProtectedResourceArns", new io.vertx.core.json.JsonArray().add(resource))
            .put("ValidationWindowHours", 1)).encode());
    assertEquals(201, selected.status(), selected.body());
    java.time.Instant tick = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.DAYS).plus(Duration.ofHours(3));
    if (!tick.isAfter(java.time.Instant.now())) tick = tick.plus(Duration.ofDays(1));
    java.time.Instant at = tick.plusSeconds(5);
    List<String> started = await(api.restoreTests(new java.util.Random(1)).tick(at)).jobsStarted();
    String job = started.stream().filter(id -> point.equals(a.backup().describeRestoreJob(r -> r.restoreJobId(id))
        .recoveryPointArn())).findFirst().orElseThrow(() -> new AssertionError("no restore test of " + point));

    AgentClient.Reply lease = a.gateway().post("/restore-jobs/lease", new JsonObject());
    JsonObject leased = lease.body().getJsonObject("job");
    assertEquals(job, leased.getString("jobId"), lease.body().encode());
    assertTrue(leased.getJsonObject("restoreTest").getString("restoreTestingPlanArn").contains(":restore-testing-plan:" + plan + "-"),
        leased.encode());
    assertEquals(1, leased.getJsonObject("restoreTest").getInteger("validationWindowHours"));
    String vm = "arn:aws:backup-gateway:us-east-1:" + a.key().accountId() + ":vm/restore-test-vm";
    assertEquals(200, a.gateway().post("/restore-jobs/" + job + "/complete",
        new JsonObject().put("createdResourceArn", vm)).status());

    AgentClient other = AgentClient.register(endpoint, a.key(), "other-gw");
    AgentClient.Reply refused = other.post("/restore-jobs/" + job + "/validation",
        new JsonObject().put("status", "SUCCESSFUL"));
    assertEquals(409, refused.status(), refused.body().encode());
    assertTrue(refused.body().getString("message").contains("only that gateway reports its result"), refused.body().encode());
    AgentClient.Reply bad = a.gateway().post("/restore-jobs/" + job + "/validation", new JsonObject().put("status", "TIMED_OUT"));
    assertEquals(400, bad.status(), bad.body().encode());

    assertEquals(200, a.gateway().post("/restore-jobs/" + job + "/validation", new JsonObject().put("status", "VALIDATING"))
        .status());
    sleep(500);
    assertTrue(hook.accepted.stream().noneMatch(m -> job.equals(attribute(m, "Id"))), "VALIDATING is no failure");
    String found = "disk scsi0:0: 1 of 256 blocks differ from the backup's checksums (first: block 17)";
    assertEquals(200, a.gateway().post("/restore-jobs/" + job + "/validation", new JsonObject().put("status", "FAILED")
        .put("message", found).put("restoreSeconds", 2.5)).status());
    waitFor("the RESTORE_JOB_FAILED notification", Duration.ofSeconds(20),
        () -> hook.accepted.stream().anyMatch(m -> job.equals(attribute(m, "Id"))));
    JsonObject n = hook.accepted.stream().filter(m -> job.equals(attribute(m, "Id"))).findFirst().orElseThrow();
    assertEquals("RESTORE_JOB_FAILED", eventType(n));
    assertEquals("COMPLETED", attribute(n, "State"), "the restore ran; the test failed");
    assertEquals("FAILED", attribute(n, "ValidationStatus"));
    assertEquals(found, attribute(n, "ValidationStatusMessage"));
    assertTrue(n.getString("Message").contains("restore test failed: its validation FAILED: " + found), n.getString("Message"));
    AgentClient.Reply again = a.gateway().post("/restore-jobs/" + job + "/validation", new JsonObject().put("status", "SUCCESSFUL"));
    assertEquals(409, again.status(), "a result is final: " + again.body().encode());

    assertEquals(200, a.gateway().post("/restore-jobs/" + job + "/deletion", new JsonObject().put("status", "SUCCESSFUL")
        .put("message", "destroyed VM 'restore-test-vm'")).status());
    var d = a.backup().describeRestoreJob(r -> r.restoreJobId(job));
    assertEquals("COMPLETED", d.statusAsString());
    sleep(500);
    assertEquals(1, hook.accepted.stream().filter(m -> job.equals(attribute(m, "Id"))).count(),
        "a SUCCESSFUL clean-up notifies nothing");
  }

  static String eventType(JsonObject m) {
    return attribute(m, "EventType");
  }

  static String attribute(JsonObject m, String name) {
    JsonObject a = m.getJsonObject("MessageAttributes").getJsonObject(name);
    return a == null ? null : a.getString("Value");
  }

  static long pending(String topic) {
    return await(api.pool().preparedQuery(
            "SELECT count(*) FROM notification_outbox WHERE topic_arn = $1 AND state = 'PENDING'")
        .execute(Tuple.of(topic))).iterator().next().getLong(0);
  }

  static int attempts(String subscriptionArn) {
    return await(api.pool().preparedQuery(
            "SELECT COALESCE(max(attempts), 0) FROM notification_outbox WHERE subscription_arn = $1")
        .execute(Tuple.of(subscriptionArn))).iterator().next().getInteger(0);
  }

  static MimeMessage waitForMail(String to, Duration within) throws Exception {
    long end = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < end) {
      for (MimeMessage m : smtp.getReceivedMessagesForDomain(to)) {
        if (m.getAllRecipients()[0].toString().equals(to)) return m;
      }
      sleep(100);
    }
    throw new AssertionError("no mail to " + to + " within " + within);
  }

  static void waitFor(String what, Duration within, BooleanSupplier condition) {
    long end = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("waited " + within + " for " + what);
      sleep(50);
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
