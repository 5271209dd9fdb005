package dev.vaultgate.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.volumes.LocalVolumeResources;
import dev.vaultgate.coordinator.agent.VaultLocations;
import dev.vaultgate.coordinator.notify.WebhookSignature;
import dev.vaultgate.coordinator.restoretest.RestoreTestScheduler;
import dev.vaultgate.vault.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backupgateway.model.GatewayType;

/**
 * Restore testing of a local volume end to end, with every part real: a coordinator (embedded PostgreSQL), an
 * appliance that joined it over mutual TLS and backs its volume up into a file vault, a restore testing plan and
 * selection made through boto3, the coordinator's restore-testing scheduler starting the test at the plan's
 * tick, the appliance restoring it into its scratch directory, checking it against the backup's block checksums,
 * reporting the validation and deleting the scratch file; the user reads ValidationStatus and DeletionStatus
 * with boto3's DescribeRestoreJob. Then the vault's packs are damaged: the next test fails, validates FAILED,
 * leaves nothing behind, and a webhook subscriber (a real local HTTP receiver checking the signature) gets
 * RESTORE_JOB_FAILED.
 */
class LocalVolumeRestoreTestingTest {
  static final String PYTHON = "/root/.pyenv/versions/3.11.7/bin/python3";
  static final Path CLIENT = Path.of("..", "agent", "src", "test", "resources", "restoretest", "restore_test_client.py")
      .toAbsolutePath().normalize();

  @TempDir
  Path dir;
  RealCoordinator coordinator;
  Vertx vertx;
  HttpServer receiver;
  final String secret = "restore-test-secret-" + UUID.randomUUID();
  final List<JsonObject> notifications = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void setUp() throws Exception {
    coordinator = new RealCoordinator(dir, "file://" + Files.createDirectories(dir.resolve("vaults")));
    vertx = Vertx.vertx();
    java.net.http.HttpClient confirmer = java.net.http.HttpClient.newHttpClient();
    receiver = await(() -> vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      boolean signed = WebhookSignature.verify(secret, req.getHeader(WebhookSignature.HEADER), body.getBytes(),
          System.currentTimeMillis() / 1000, 300);
      if (!signed) {
        req.response().setStatusCode(401).end();
        return;
      }
      JsonObject message = new JsonObject(body);
      if ("SubscriptionConfirmation".equals(message.getString("Type"))) {
        // what an SNS-aware receiver does: visit the SubscribeURL of a message whose signature it checked
        confirmer.sendAsync(java.net.http.HttpRequest.newBuilder(URI.create(message.getString("SubscribeURL"))).GET().build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) ->
            vertx.runOnContext(v -> req.response().setStatusCode(200).end()));
        return;
      }
      notifications.add(message);
      req.response().setStatusCode(200).end();
    })).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void tearDown() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
    coordinator.close();
  }

  <T> T await(java.util.function.Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(90));
  }

  static void waitFor(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(300);
    }
  }

  JsonObject boto3(String step, String... args) {
    try {
      List<String> command = new ArrayList<>(List.of(PYTHON, CLIENT.toString(), step, coordinator.endpoint().toString(),
          coordinator.key.accessKeyId(), coordinator.key.secretAccessKey()));
      command.addAll(List.of(args));
      Process p = new ProcessBuilder(command).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "boto3 " + step + " did not end");
      assertEquals(0, p.exitValue(), "boto3 " + step + ": " + err + out);
      return new JsonObject(out.trim());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  ApplianceConfig config(List<ApplianceConfig.LocalVolume> volumes) throws Exception {
    Path data = dir.resolve("data");
    Path tls = data.resolve("tls");
    int webPort;
    try (ServerSocket s = new ServerSocket(0)) {
      webPort = s.getLocalPort();
    }
    Files.createDirectories(dir.resolve("vault"));
    return new ApplianceConfig("dc3-gw1", coordinator.gatewayEndpoint(), data,
        new ApplianceConfig.Vault("file://" + dir.resolve("vault"), dir.resolve("master.key")), Optional.empty(),
        new ApplianceConfig.Tls(tls.resolve("gateway.crt"), tls.resolve("gateway.key"), tls.resolve("coordinator-ca.crt")),
        new ApplianceConfig.WebUi("127.0.0.1", webPort,
            dev.vaultgate.appliance.config.PasswordHash.create("not used here".toCharArray(), 10_000).encode()), 2, volumes,
        ApplianceConfig.Bandwidth.UNLIMITED);
  }

  /** Starts the plan's tests at {@code tick}: the ids of the restore jobs started. */
  List<String> runPlans(Instant tick) {
    RestoreTestScheduler scheduler = coordinator.coordinator.restoreTests(new Random(3));
    return Await.await(coordinator.vertx, () -> scheduler.tick(tick), Duration.ofSeconds(60)).jobsStarted();
  }

  /** Waits for the gateway to report the test's clean-up (DeletionStatus no longer empty or DELETING). */
  JsonObject testEnded(String jobId) throws InterruptedException {
    JsonObject[] last = new JsonObject[1];
    waitFor("restore test " + jobId + " to be cleaned up", Duration.ofSeconds(90), () -> {
      last[0] = boto3("describe", jobId);
      String deletion = last[0].getString("DeletionStatus");
      return deletion != null && !deletion.equals("DELETING");
    });
    return last[0];
  }

  List<Path> scratchFiles(Path data) throws Exception {
    Path scratch = data.resolve("staging").resolve("restore-tests");
    if (!Files.isDirectory(scratch)) return List.of();
    try (Stream<Path> files = Files.list(scratch)) {
      return files.toList();
    }
  }

  @Test
  void aLocalVolumeRestoreTestValidatesAgainstTheBackupAndLeavesNothingThenADamagedPackFailsItAndNotifies()
      throws Exception {
    assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON);
    byte[] data = new byte[12 << 20];
    new Random(11).nextBytes(data);
    java.util.Arrays.fill(data, 4 << 20, 6 << 20, (byte) 0); // sparse blocks, which must restore as zeros
    Path image = Files.write(dir.resolve("db.img"), data);
    ApplianceConfig c = config(List.of(new ApplianceConfig.LocalVolume("db", image, Map.of("tier", "gold"))));
    var admin = coordinator.gatewayApi();
    Registration.Registered joined = await(() -> Registration.register(vertx, c, coordinator.endpoint(), a ->
        CompletableFuture.runAsync(() -> admin.createGateway(r -> r.activationKey(a.activationKey())
            .gatewayDisplayName("dc3").gatewayType(GatewayType.BACKUP_VM))), Duration.ofMillis(200)));
    // a scratch file a stopped gateway left behind is deleted when the agent starts
    Path stale = Files.createDirectories(dir.resolve("data").resolve("staging").resolve("restore-tests")).resolve("stale.img");
    Files.write(stale, new byte[4096]);
    Appliance running = await(() -> Appliance.start(vertx, c, Appliance.Options.defaults()
        .withHealthInterval(Duration.ofSeconds(1))));
    try {
      assertFalse(Files.exists(stale), "the interrupted test's scratch file is gone at start");
      var backup = coordinator.backupApi();
      backup.createBackupVault(r -> r.backupVaultName("local"));
      String account = coordinator.key.accountId();
      String arn = LocalVolumeResources.arn("us-east-1", account, joined.gatewayId(), "db");
      String backupJob = backup.startBackupJob(r -> r.backupVaultName("local").resourceArn(arn)
          .iamRoleArn("arn:aws:iam::" + account + ":role/backup")).backupJobId();
      waitFor("the backup", Duration.ofSeconds(90), () -> {
        String state = backup.describeBackupJob(r -> r.backupJobId(backupJob)).state().toString();
        return !state.equals("CREATED") && !state.equals("RUNNING");
      });
      String point = backup.describeBackupJob(r -> r.backupJobId(backupJob)).recoveryPointArn();
      assertNotNull(point, backup.describeBackupJob(r -> r.backupJobId(backupJob)).statusMessage());

      // an ordinary restore of the volume to a file on the gateway, as a user starts one: only the target is given,
      // the coordinator adds the point's own restore metadata (which backup of the volume it is)
      Path restoredDir = Files.createDirectories(dir.resolve("restored"));
      String restoreJob = backup.startRestoreJob(r -> r.recoveryPointArn(point)
          .iamRoleArn("arn:aws:iam::" + account + ":role/backup").metadata(Map.of("TargetDirectory", restoredDir.toString())))
          .restoreJobId();
      waitFor("the restore", Duration.ofSeconds(90), () -> {
        String status = backup.describeRestoreJob(r -> r.restoreJobId(restoreJob)).statusAsString();
        return status.equals("COMPLETED") || status.equals("FAILED") || status.equals("ABORTED");
      });
      var restore = backup.describeRestoreJob(r -> r.restoreJobId(restoreJob));
      assertEquals("COMPLETED", restore.statusAsString(), restore.statusMessage());
      assertTrue(java.util.Arrays.equals(data, Files.readAllBytes(restoredDir.resolve("db.img"))),
          "the volume restored to a file, byte for byte");

      String hook = "http://127.0.0.1:" + receiver.actualPort() + "/hook";
      boto3("notify", "local", hook, secret);
      String planArn = boto3("plan", "nightly", "LocalVolume", arn).getString("planArn");

      // the plan's first tick (03:00 UTC after its creation) starts one restore test of the volume's newest point
      Instant tick = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofHours(3));
      if (!tick.isAfter(Instant.now())) tick = tick.plus(Duration.ofDays(1));
      List<String> started = runPlans(tick.plusSeconds(10));
      assertEquals(1, started.size(), started.toString());
      String jobId = started.get(0);

      JsonObject passed = testEnded(jobId);
      assertEquals("COMPLETED", passed.getString("Status"), passed.encode());
      assertEquals(planArn, passed.getString("RestoreTestingPlanArn"));
      assertEquals("SUCCESSFUL", passed.getString("ValidationStatus"), passed.encode());
      assertTrue(passed.getString("ValidationStatusMessage").contains("blocks match the backup's checksums"), passed.encode());
      assertTrue(passed.getString("ValidationStatusMessage").contains("sha256 " + sha256(data)),
          "the restored disk is the volume's bytes: " + passed.encode());
      assertEquals("SUCCESSFUL", passed.getString("DeletionStatus"), passed.encode());
      assertTrue(passed.getString("CreatedResourceArn").contains(":file/"), passed.encode());
      String scratch = "/" + passed.getString("CreatedResourceArn").split(":file/", 2)[1];
      assertFalse(Files.exists(Path.of(scratch)), "the scratch file is gone: " + scratch);
      assertEquals(List.of(), scratchFiles(dir.resolve("data")), "nothing of the test is left in the scratch directory");
      assertEquals(List.of(), notifications, "a passing test notifies no failure");

      // damage every pack of the vault in the middle: the next test's restore meets a chunk whose GCM tag fails
      Path vault = Path.of(URI.create(VaultLocations.of("file://" + dir.resolve("vaults"), account, "local")));
      List<Path> packs;
      try (Stream<Path> files = Files.walk(vault.resolve("packs"))) {
        packs = files.filter(Files::isRegularFile).toList();
      }
      assertFalse(packs.isEmpty(), "the backup wrote packs under " + vault);
      for (Path pack : packs) {
        try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
          long at = f.length() / 3;
          f.seek(at);
          int b = f.read();
          f.seek(at);
          f.write(b ^ 0xff);
        }
      }
      List<String> next = runPlans(tick.plus(Duration.ofDays(1)).plusSeconds(10));
      assertEquals(1, next.size(), next.toString());
      String failedId = next.get(0);
      JsonObject failed = testEnded(failedId);
      assertEquals("FAILED", failed.getString("Status"), failed.encode());
      assertTrue(failed.getString("StatusMessage").contains("damaged"), failed.encode());
      assertEquals("FAILED", failed.getString("ValidationStatus"), failed.encode());
      assertTrue(failed.getString("ValidationStatusMessage").startsWith("the restore failed: "), failed.encode());
      assertEquals("SUCCESSFUL", failed.getString("DeletionStatus"), failed.encode());
      assertEquals(List.of(), scratchFiles(dir.resolve("data")), "a failed test leaves nothing in the scratch directory");

      waitFor("the RESTORE_JOB_FAILED notification", Duration.ofSeconds(30), () -> notifications.stream()
          .anyMatch(n -> failedId.equals(attribute(n, "Id"))));
      JsonObject n = notifications.stream().filter(m -> failedId.equals(attribute(m, "Id"))).findFirst().orElseThrow();
      assertEquals("RESTORE_JOB_FAILED", attribute(n, "EventType"), n.encode());
      assertEquals("FAILED", attribute(n, "State"), n.encode());
      assertEquals(point, attribute(n, "RecoveryPointArn"), n.encode());
      assertTrue(notifications.stream().noneMatch(m -> jobId.equals(attribute(m, "Id"))), "the passing test sent nothing");
      boto3("cleanup", "nightly");
    } finally {
      await(running::close);
    }
  }

  static String attribute(JsonObject notification, String name) {
    JsonObject a = notification.getJsonObject("MessageAttributes", new JsonObject()).getJsonObject(name);
    return a == null ? null : a.getString("Value");
  }

  static String sha256(byte[] data) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
  }
}
