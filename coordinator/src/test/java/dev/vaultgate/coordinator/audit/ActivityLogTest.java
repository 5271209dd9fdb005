package dev.vaultgate.coordinator.audit;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import dev.vaultgate.coordinator.wire.ApiCall;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;

/**
 * The activity log against the real coordinator and its PostgreSQL: agent calls, API calls and
 * scheduler passes land in the chain with who, what, where and the result, secrets redacted; two
 * writers (as two replicas would) extend one unbroken chain; the table refuses UPDATE and DELETE.
 */
class ActivityLogTest {

  static TestCoordinator env;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
  }

  /**
   * The events with {@code column = value}. A front tells the log of a call just after it writes the
   * answer, so a client can hold the answer a moment before the event is queued: read until two
   * reads agree and are not empty (or 5 s pass).
   */
  static List<JsonObject> eventsWhere(String column, String value) {
    List<JsonObject> last = null;
    long deadline = System.currentTimeMillis() + 5_000;
    while (true) {
      List<JsonObject> now = readEvents(column, value);
      if ((last != null && !now.isEmpty() && now.size() == last.size()) || System.currentTimeMillis() > deadline) {
        return now;
      }
      last = now;
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static List<JsonObject> readEvents(String column, String value) {
    await(env.coordinator.activityLog().flush());
    List<JsonObject> out = new ArrayList<>();
    for (Row r : await(env.coordinator.pool().preparedQuery(
        "SELECT canonical FROM activity_log WHERE " + column + " = $1 ORDER BY seq").execute(Tuple.of(value)))) {
      out.add(new JsonObject(r.getString(0)).getJsonObject("event"));
    }
    return out;
  }

  static JsonObject only(List<JsonObject> events, String name) {
    List<JsonObject> named = events.stream().filter(e -> name.equals(e.getString("eventName"))).toList();
    assertEquals(1, named.size(), name + " in " + events);
    return named.get(0);
  }

  @Test
  void agentCallsAreRecordedWithTheGatewaySourceAndResultButNeverTheToken() {
    AccessKey key = env.newAccount();
    AgentClient gw = AgentClient.register(env.endpoint(), key, "audit-site");
    assertEquals(200, gw.post("/heartbeat", new JsonObject().put("softwareVersion", "9.9")).status());
    assertEquals(404, gw.post("/backup-jobs/nope/progress", new JsonObject()).status());

    JsonObject register = only(eventsWhere("access_key_id", key.accessKeyId()), "RegisterGateway");
    assertEquals("IAMUser", register.getJsonObject("userIdentity").getString("type"));
    assertEquals(key.accountId(), register.getString("recipientAccountId"));
    assertEquals(Redaction.HIDDEN, register.getJsonObject("responseElements").getString("token"));
    assertFalse(register.encode().contains(gw.token), "the gateway token must not be in the log");
    assertEquals("127.0.0.1", register.getString("sourceIPAddress"));
    assertNull(register.getString("errorCode"));

    List<JsonObject> byGateway = eventsWhere("username", gw.gatewayId);
    JsonObject beat = only(byGateway, "GatewayHeartbeat");
    JsonObject who = beat.getJsonObject("userIdentity");
    assertEquals("BackupGateway", who.getString("type"));
    assertEquals(gw.gatewayId, who.getString("principalId"));
    assertEquals(key.accountId(), who.getString("accountId"));
    assertEquals("9.9", beat.getJsonObject("requestParameters").getString("softwareVersion"));
    assertEquals("backup-gateway.amazonaws.com", beat.getString("eventSource"));
    assertTrue(beat.getJsonArray("resources").encode().contains(who.getString("arn")));

    JsonObject failed = only(byGateway, "ReportBackupJobProgress");
    assertEquals("ResourceNotFoundException", failed.getString("errorCode"), failed.encode());
    assertTrue(failed.getJsonArray("resources").encode().contains("\"resourceName\":\"nope\""), failed.encode());
  }

  @Test
  void apiCallsAreRecordedWithSecretsRedactedAndTheResourcesTheyName() {
    AccessKey key = env.newAccount();
    Instant at = Instant.parse("2026-11-23T10:00:00.123Z");
    String vaultArn = "arn:aws:backup:us-east-1:" + key.accountId() + ":backup-vault:audit-v";
    env.coordinator.activityLog().observed(new ApiCall("backup-gateway", "ImportHypervisorConfiguration",
        new CallContext(key.accountId(), key.accessKeyId(), "req-1", at), "10.1.2.3", "aws-cli/2.9.19",
        new JsonObject().put("Host", "vcenter.example").put("Username", "administrator")
            .put("Password", "hunter2").put("KmsKeyArn", "arn:aws:kms:us-east-1:" + key.accountId() + ":key/k1")
            .put("Nested", new JsonObject().put("SecretAccessKey", "abc").put("ActivationKey", "XYZ-123")),
        200, null, null, at));
    env.coordinator.activityLog().observed(new ApiCall("backup", "DescribeBackupVault",
        new CallContext(key.accountId(), key.accessKeyId(), "req-2", at), "10.1.2.3", "aws-sdk-java/2.20.0",
        new JsonObject().put("BackupVaultName", "audit-v").put("BackupVaultAccountId", key.accountId()),
        404, "ResourceNotFoundException", "Backup vault audit-v does not exist", at));
    env.coordinator.activityLog().observed(new ApiCall("backup", "CreateBackupVault", null, "10.9.9.9", "curl",
        null, 403, "UnrecognizedClientException", "The security token included in the request is invalid.", at));

    List<JsonObject> events = eventsWhere("access_key_id", key.accessKeyId());
    JsonObject hv = only(events, "ImportHypervisorConfiguration");
    String text = hv.encode();
    assertFalse(text.contains("hunter2") || text.contains("XYZ-123") || text.contains("\"abc\""), text);
    JsonObject params = hv.getJsonObject("requestParameters");
    assertEquals(Redaction.HIDDEN, params.getString("Password"));
    assertEquals("administrator", params.getString("Username"));
    assertEquals(Redaction.HIDDEN, params.getJsonObject("Nested").getString("ActivationKey"));
    assertEquals("backup-gateway.amazonaws.com", hv.getString("eventSource"));
    assertEquals("2026-11-23T10:00:00Z", hv.getString("eventTime"));
    assertEquals("aws-cli/2.9.19", hv.getString("userAgent"));
    assertEquals("10.1.2.3", hv.getString("sourceIPAddress"));
    assertEquals(new JsonArray().add(new JsonObject().put("ARN", "arn:aws:kms:us-east-1:" + key.accountId()
        + ":key/k1").put("type", "AWS::KMS::Key")), hv.getJsonArray("resources"));
    assertEquals(false, hv.getBoolean("readOnly"));

    JsonObject describe = only(events, "DescribeBackupVault");
    assertEquals(true, describe.getBoolean("readOnly"));
    assertEquals("ResourceNotFoundException", describe.getString("errorCode"));
    assertEquals("req-2", describe.getString("requestID"));
    assertEquals("AWS::Backup::BackupVault", describe.getJsonArray("resources").getJsonObject(0).getString("type"));
    assertEquals("audit-v", describe.getJsonArray("resources").getJsonObject(0).getString("resourceName"));
    assertTrue(vaultArn.endsWith("audit-v"));

    List<JsonObject> anonymous = eventsWhere("event_name", "CreateBackupVault").stream()
        .filter(e -> "10.9.9.9".equals(e.getString("sourceIPAddress"))).toList();
    assertEquals("Unknown", anonymous.get(anonymous.size() - 1).getJsonObject("userIdentity").getString("type"));
  }

  @Test
  void schedulerPassesAreRecordedAsTheServiceActing() {
    AccessKey key = env.newAccount();
    BackupClient backup = env.client(key);
    String vault = TestCoordinator.unique("audit");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    backup.startBackupJob(r -> r.backupVaultName(vault).iamRoleArn("arn:aws:iam::" + key.accountId() + ":role/b")
        .resourceArn("arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":vm/vm-audit").startWindowMinutes(600L));
    AgentClient gw = AgentClient.register(env.endpoint(), key, "audit-sched");
    assertEquals(200, gw.post("/backup-jobs/lease", new JsonObject().put("leaseSeconds", 30)).status());
    Instant later = Instant.now().plusSeconds(120);
    var tick = await(env.coordinator.scheduler().tick(later));
    assertTrue(tick.sweep().requeued() >= 1, tick.toString());

    List<JsonObject> events = eventsWhere("event_name", "EnforceBackupJobLeasesAndWindows");
    JsonObject mine = events.stream()
        .filter(e -> e.getString("eventTime").equals(later.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()))
        .findFirst().orElseThrow(() -> new AssertionError("no service event at " + later + " in " + events));
    assertEquals("AWSService", mine.getJsonObject("userIdentity").getString("type"));
    assertEquals("backup.amazonaws.com", mine.getJsonObject("userIdentity").getString("invokedBy"));
    assertEquals("AwsServiceEvent", mine.getString("eventType"));
    assertTrue(mine.getJsonObject("serviceEventDetails").getInteger("leasesExpiredJobsRequeued") >= 1);
  }

  @Test
  void twoWritersOnOneDatabaseExtendOneUnbrokenChain() {
    PgConnectOptions connect = PgConnectOptions.fromUri(env.coordinator.embeddedDatabaseUrl().orElseThrow());
    Pool otherPool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4)).connectingTo(connect)
        .using(env.vertx).build();
    ActivityLog other = new ActivityLog(new PgActivityLogStore(otherPool), "us-east-1", Clock.systemUTC(), 10_000, 7);
    await(env.vertx.deployVerticle(other));
    try {
      long before = await(new PgActivityLogStore(env.coordinator.pool()).head()).seq();
      String marker = UUID.randomUUID().toString();
      for (int i = 0; i < 600; i++) {
        ActivityLog log = i % 2 == 0 ? env.coordinator.activityLog() : other;
        log.record(ActivityEvents.serviceAction("ChainTest", marker, new JsonObject().put("i", i), Instant.now(),
            "us-east-1"));
      }
      await(other.flush());
      assertEquals(600, eventsWhere("account_id", marker).size());
      DigestChecks.Result none = DigestChecks.Result.NONE;
      AuditVerifier.Report report = await(AuditVerifier.verify(new PgActivityLogStore(env.coordinator.pool()),
          Math.max(1, before), none));
      assertTrue(report.ok(), String.join("\n", report.problems()));
      assertTrue(report.lastSeq() >= before + 600);
      assertEquals(0, env.coordinator.activityLog().dropped());
    } finally {
      await(otherPool.close());
    }
  }

  @Test
  void theTableRefusesUpdateDeleteAndTruncate() {
    ActivityEvent e = ActivityEvents.serviceAction("AppendOnlyTest", null, new JsonObject(), Instant.now(), "us-east-1");
    env.coordinator.activityLog().record(e);
    await(env.coordinator.activityLog().flush());
    Pool pool = env.coordinator.pool();
    for (String sql : List.of(
        "UPDATE activity_log SET event_name = 'Nothing' WHERE event_id = '" + e.fields().eventId() + "'",
        "DELETE FROM activity_log WHERE event_id = '" + e.fields().eventId() + "'",
        "TRUNCATE activity_log")) {
      try {
        await(pool.query(sql).execute());
        fail(sql + " was accepted");
      } catch (IllegalStateException refused) {
        assertTrue(refused.getMessage().contains("append-only"), refused.getMessage());
      }
    }
    assertEquals(1, eventsWhere("event_id", e.fields().eventId()).size());
  }

  @Test
  void sdkCallsThroughTheRestJsonFrontAreRecorded() {
    AccessKey key = env.newAccount();
    BackupClient backup = env.client(key);
    String vault = TestCoordinator.unique("audit-sdk");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    try {
      backup.describeBackupVault(r -> r.backupVaultName(vault + "-missing"));
      fail("no such vault");
    } catch (software.amazon.awssdk.services.backup.model.ResourceNotFoundException expected) {
      // recorded with its error code below
    }
    List<JsonObject> events = eventsWhere("access_key_id", key.accessKeyId());
    JsonObject create = only(events, "CreateBackupVault");
    assertEquals("backup.amazonaws.com", create.getString("eventSource"));
    assertEquals(key.accountId(), create.getString("recipientAccountId"));
    assertEquals(vault, create.getJsonObject("requestParameters").getString("BackupVaultName"));
    assertTrue(create.getString("userAgent").contains("aws-sdk-java"), create.getString("userAgent"));
    assertEquals(vault, create.getJsonArray("resources").getJsonObject(0).getString("resourceName"));
    assertNull(create.getString("errorCode"));
    JsonObject describe = only(events, "DescribeBackupVault");
    assertEquals("ResourceNotFoundException", describe.getString("errorCode"));
    assertEquals(true, describe.getBoolean("readOnly"));
  }

  @Test
  void aFullQueueCountsItsDropsAndWritesTheCountIntoTheChain() {
    String marker = UUID.randomUUID().toString();
    // not deployed yet: nothing drains, so the sixth event on finds the queue full
    ActivityLog small = new ActivityLog(new PgActivityLogStore(env.coordinator.pool()), "us-east-1", Clock.systemUTC(),
        5, 100);
    for (int i = 0; i < 12; i++) {
      small.record(ActivityEvents.serviceAction("QueueTest", marker, new JsonObject().put("i", i), Instant.now(),
          "us-east-1"));
    }
    assertEquals(7, small.dropped());
    String id = await(env.vertx.deployVerticle(small));
    await(small.flush());
    await(env.vertx.undeploy(id));
    assertEquals(5, eventsWhere("account_id", marker).size());
    JsonObject gap = eventsWhere("event_name", "ActivityLogEventsDropped").stream()
        .filter(e -> e.getJsonObject("serviceEventDetails").getInteger("queueCapacity") == 5)
        .reduce((a, b) -> b).orElseThrow();
    assertEquals(7, gap.getJsonObject("serviceEventDetails").getInteger("droppedEvents"));
    assertEquals("AWSService", gap.getJsonObject("userIdentity").getString("type"));
  }

  @Test
  void eventsRecordedWhileTheDatabaseIsUnreachableAreWrittenWhenItComesBack() throws Exception {
    String db = "late_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    PgConnectOptions connect = PgConnectOptions.fromUri(env.coordinator.embeddedDatabaseUrl().orElseThrow())
        .setDatabase(db);
    Pool latePool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(connect).using(env.vertx)
        .build();
    ActivityLog log = new ActivityLog(new PgActivityLogStore(latePool), "us-east-1", Clock.systemUTC(), 1000, 8);
    String id = await(env.vertx.deployVerticle(log));
    try {
      for (int i = 0; i < 30; i++) {
        log.record(ActivityEvents.serviceAction("OutageTest", "123412341234", new JsonObject().put("i", i),
            Instant.now(), "us-east-1"));
      }
      Thread.sleep(500); // the writer fails against a database that does not exist, and retries
      assertEquals(0, log.written());
      await(env.coordinator.pool().query("CREATE DATABASE " + db).execute());
      await(dev.vaultgate.coordinator.db.SchemaMigrator.fromClasspath().migrate(latePool));
      await(log.flush());
      assertEquals(30, log.written());
      assertEquals(0, log.dropped());
      AuditVerifier.Report report = await(AuditVerifier.verify(new PgActivityLogStore(latePool), 1,
          DigestChecks.Result.NONE));
      assertTrue(report.ok(), String.join("\n", report.problems()));
      assertEquals(30, report.rowsChecked());
      List<Integer> order = new ArrayList<>();
      for (Row r : await(latePool.query("SELECT canonical FROM activity_log ORDER BY seq").execute())) {
        order.add(new JsonObject(r.getString(0)).getJsonObject("event").getJsonObject("serviceEventDetails")
            .getInteger("i"));
      }
      for (int i = 0; i < 30; i++) assertEquals(i, order.get(i), "recorded order kept");
    } finally {
      await(env.vertx.undeploy(id));
      await(latePool.close());
    }
  }

  @Test
  void backupGatewayCallsThroughTheJsonFrontAreRecordedWithoutThePassword() {
    AccessKey key = env.newAccount();
    String arn = env.gatewayClient(key).importHypervisorConfiguration(r -> r.name("audited-vc")
        .host("vc.audit.example").username("administrator@vsphere.local").password("Never-Logged-9")).hypervisorArn();
    List<JsonObject> events = eventsWhere("access_key_id", key.accessKeyId());
    JsonObject imported = only(events, "ImportHypervisorConfiguration");
    assertEquals("backup-gateway.amazonaws.com", imported.getString("eventSource"));
    assertFalse(imported.encode().contains("Never-Logged-9"), imported.encode());
    assertEquals(Redaction.HIDDEN, imported.getJsonObject("requestParameters").getString("Password"));
    assertEquals("vc.audit.example", imported.getJsonObject("requestParameters").getString("Host"));
    assertTrue(arn.contains(":hypervisor/"));
  }

  @Test
  void aStopWithTheDatabaseGoneEndsAfterItsWaitInsteadOfHanging() {
    String db = "gone_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Pool nowhere = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
        .connectingTo(PgConnectOptions.fromUri(env.coordinator.embeddedDatabaseUrl().orElseThrow()).setDatabase(db))
        .using(env.vertx).build();
    ActivityLog log = new ActivityLog(new PgActivityLogStore(nowhere), "us-east-1", Clock.systemUTC(), 100, 10);
    String id = await(env.vertx.deployVerticle(log));
    log.record(ActivityEvents.serviceAction("Unwritable", null, new JsonObject(), Instant.now(), "us-east-1"));
    long started = System.nanoTime();
    await(env.vertx.undeploy(id));
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    assertTrue(seconds >= ActivityLog.STOP_WAIT_SECONDS - 1 && seconds < ActivityLog.STOP_WAIT_SECONDS + 10,
        "stopped after " + seconds + " s");
    assertEquals(0, log.written());
    await(nowhere.close());
  }
}
