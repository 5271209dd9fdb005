package dev.vaultgate.appliance;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.vault.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.backupgateway.model.GatewayType;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vaultgate run} with the gateway agent inside, against a real coordinator: once joined, the appliance's
 * agent heartbeats over mutual TLS as the gateway its certificate names (GetGateway shows it seen), the web
 * UI's coordinator check is up, a restart carries on as the same gateway without registering again, and after
 * DeleteGateway the coordinator refuses it (the check turns down).
 */
class ApplianceAgentTest {
  @TempDir
  Path dir;
  RealCoordinator coordinator;
  Vertx vertx;

  @BeforeEach
  void setUp() throws Exception {
    coordinator = new RealCoordinator(dir, "file://" + Files.createDirectories(dir.resolve("vaults")));
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
    coordinator.close();
  }

  <T> T await(java.util.function.Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(90));
  }

  static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(200);
    }
  }

  ApplianceConfig config() throws Exception {
    return config(List.of());
  }

  ApplianceConfig config(List<ApplianceConfig.LocalVolume> volumes) throws Exception {
    Path data = dir.resolve("data");
    Path tls = data.resolve("tls");
    int webPort;
    try (ServerSocket s = new ServerSocket(0)) {
      webPort = s.getLocalPort();
    }
    Files.createDirectories(dir.resolve("vault"));
    return new ApplianceConfig("dc2-gw1", coordinator.gatewayEndpoint(), data,
        new ApplianceConfig.Vault("file://" + dir.resolve("vault"), dir.resolve("master.key")), Optional.empty(),
        new ApplianceConfig.Tls(tls.resolve("gateway.crt"), tls.resolve("gateway.key"), tls.resolve("coordinator-ca.crt")),
        new ApplianceConfig.WebUi("127.0.0.1", webPort,
            dev.vaultgate.appliance.config.PasswordHash.create("not used here".toCharArray(), 10_000).encode()), 2, volumes,
        ApplianceConfig.Bandwidth.UNLIMITED);
  }

  String coordinatorCheck(Appliance a) {
    for (Object o : a.health().snapshot()) {
      JsonObject check = (JsonObject) o;
      if (check.getString("name").equals("coordinator")) return check.getString("status");
    }
    return null;
  }

  @Test
  void aJoinedApplianceRunsItsAgentOverMutualTlsAndKeepsItsIdentityAcrossRestarts() throws Exception {
    ApplianceConfig c = config();
    BackupGatewayClient admin = coordinator.gatewayApi();
    Appliance.Options options = Appliance.Options.defaults().withHealthInterval(Duration.ofMillis(300));

    Appliance before = await(() -> Appliance.start(vertx, c, options));
    assertNull(before.agent(), "no agent before the gateway joined");
    await(before::close);

    Registration.Registered joined = await(() -> Registration.register(vertx, c, coordinator.endpoint(), a ->
        CompletableFuture.runAsync(() -> admin.createGateway(r -> r.activationKey(a.activationKey())
            .gatewayDisplayName("dc2").gatewayType(GatewayType.BACKUP_VM))), Duration.ofMillis(200)));

    Appliance running = await(() -> Appliance.start(vertx, c, options));
    assertNotNull(running.agent());
    assertEquals(joined.gatewayId(), running.agent().gatewayId());
    waitFor("the coordinator to see the agent's heartbeat",
        () -> admin.getGateway(r -> r.gatewayArn(joined.gatewayArn())).gateway().lastSeenTime() != null
            && running.agent().lastHeartbeat() != null);
    waitFor("the coordinator check to be up", () -> "UP".equals(coordinatorCheck(running)));
    Instant firstSeen = running.agent().lastHeartbeat();
    await(running::close);

    Appliance restarted = await(() -> Appliance.start(vertx, c, options));
    try {
      assertEquals(joined.gatewayId(), restarted.agent().gatewayId(), "the same gateway after a restart");
      waitFor("a heartbeat after the restart", () -> restarted.agent().lastHeartbeat() != null
          && restarted.agent().lastHeartbeat().isAfter(firstSeen));
      assertEquals(1, admin.listGateways(r -> { }).gateways().size(), "no second registration");

      admin.deleteGateway(r -> r.gatewayArn(joined.gatewayArn()));
      waitFor("the deleted gateway to be refused", () -> "DOWN".equals(coordinatorCheck(restarted)));
    } finally {
      await(restarted::close);
    }
  }

  Registration.Registered join(ApplianceConfig c) {
    BackupGatewayClient admin = coordinator.gatewayApi();
    return await(() -> Registration.register(vertx, c, coordinator.endpoint(), a ->
        CompletableFuture.runAsync(() -> admin.createGateway(r -> r.activationKey(a.activationKey())
            .gatewayDisplayName("dc2").gatewayType(GatewayType.BACKUP_VM))), Duration.ofMillis(200)));
  }

  @Test
  void aLocalVolumeIsBackedUpByStartBackupJobAndTheSecondBackupUploadsNothingNew() throws Exception {
    byte[] data = new byte[8 << 20];
    new java.util.Random(7).nextBytes(data);
    Path image = Files.write(dir.resolve("db.img"), data);
    ApplianceConfig c = config(List.of(new ApplianceConfig.LocalVolume("db", image, java.util.Map.of("backup", "daily"))));
    Registration.Registered joined = join(c);
    Appliance running = await(() -> Appliance.start(vertx, c, Appliance.Options.defaults().withHealthInterval(Duration.ofSeconds(1))));
    try {
      var backup = coordinator.backupApi();
      backup.createBackupVault(r -> r.backupVaultName("local"));
      String arn = dev.vaultgate.appliance.volumes.LocalVolumeResources.arn("us-east-1", coordinator.key.accountId(),
          joined.gatewayId(), "db");
      String role = "arn:aws:iam::" + coordinator.key.accountId() + ":role/backup";
      String[] points = new String[2];
      for (int i = 0; i < 2; i++) {
        String jobId = backup.startBackupJob(r -> r.backupVaultName("local").resourceArn(arn).iamRoleArn(role)).backupJobId();
        waitFor("backup job " + jobId + " to end", () -> {
          var state = backup.describeBackupJob(r -> r.backupJobId(jobId)).state().toString();
          return !state.equals("CREATED") && !state.equals("RUNNING");
        });
        var job = backup.describeBackupJob(r -> r.backupJobId(jobId));
        assertEquals("COMPLETED", job.state().toString(), job.statusMessage());
        assertEquals("LocalVolume", job.resourceType());
        points[i] = job.recoveryPointArn();
      }
      java.util.Map<String, String> first = backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName("local")
          .recoveryPointArn(points[0])).restoreMetadata();
      java.util.Map<String, String> second = backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName("local")
          .recoveryPointArn(points[1])).restoreMetadata();
      assertEquals("db", second.get("vaultgate:localVolume"));
      assertTrue(Long.parseLong(first.get("vaultgate:bytesNew")) > 0, first.toString());
      assertEquals("0", second.get("vaultgate:bytesNew"), "the vault holds every block already: nothing uploaded again");
    } finally {
      await(running::close);
    }
  }
}
