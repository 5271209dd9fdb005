package dev.vaultgate.appliance;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.coordinator.gateway.GatewayVaultPolicy;
import dev.vaultgate.coordinator.gateway.PgActivationKeyStore;
import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.maintenance.GarbageCollector;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stolen gateway cannot destroy backups, on a real Ceph RGW: the vaults' bucket has Object Lock (so versioning)
 * and the policy of {@code scripts/coordinator gateways vault-policy}; the gateway runs with the second RGW user's
 * credentials, never the owner's. With them a backup job completes, but deleting an object or a version, shortening
 * retention, suspending versioning or replacing the policy is AccessDenied; an overwrite (what a thief can still do)
 * leaves the earlier version, which the owner brings back and which then restores byte for byte; and the
 * coordinator's garbage collection, with the owner's credentials, still deletes.
 */
@RequiresRgw
@Timeout(300)
class GatewayVaultCredentialsTest {
  @TempDir
  Path dir;
  Vertx vertx;
  RealCoordinator coordinator;
  String bucket;
  S3AsyncClient owner;
  S3AsyncClient gateway;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    bucket = TestRgw.newBucket(true);
    owner = TestRgw.client();
    gateway = S3VaultStorage.newClient(TestRgw.endpoint(), TestRgw.REGION, gatewayCredentials());
    owner.putBucketPolicy(b -> b.bucket(bucket).policy(GatewayVaultPolicy.forBucket(bucket, List.of("vaults"), List.of("local"),
        TestRgw.gatewayPrincipal(), TestRgw.ownerPrincipal()))).join();
    coordinator = new RealCoordinator(dir, "s3://" + bucket + "/vaults?endpoint=" + TestRgw.endpoint() + "&region=us-east-1");
  }

  @AfterEach
  void tearDown() {
    try {
      coordinator.close();
    } finally {
      owner.close();
      gateway.close();
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
  }

  static StaticCredentialsProvider gatewayCredentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(TestRgw.gatewayAccessKey(), TestRgw.gatewaySecretKey()));
  }

  <T> T await(Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(120));
  }

  /**
   * The S3 error a refused call ends with. RGW answers a refused request that has a body before reading it and
   * closes the connection, so the client now and then sees only the close: such a call is made again (the
   * vault's client does not retry), and must end refused, never done.
   */
  static S3Exception refused(Supplier<CompletableFuture<?>> call) {
    for (int attempt = 1; ; attempt++) {
      CompletionException e = assertThrows(CompletionException.class, () -> call.get().join());
      if (e.getCause() instanceof S3Exception s3) {
        return s3;
      }
      assertTrue(e.getCause() instanceof software.amazon.awssdk.core.exception.SdkClientException && attempt < 5,
          String.valueOf(e.getCause()));
    }
  }

  static void assertAccessDenied(String what, Supplier<CompletableFuture<?>> call) {
    S3Exception e = refused(call);
    assertEquals(403, e.statusCode(), what + ": " + e.getMessage());
    assertEquals("AccessDenied", e.awsErrorDetails().errorCode(), what);
  }

  ApplianceConfig config(Path volume) throws Exception {
    Path data = dir.resolve("data");
    Path tls = data.resolve("tls");
    int webPort;
    try (ServerSocket s = new ServerSocket(0)) {
      webPort = s.getLocalPort();
    }
    return new ApplianceConfig("dc3-gw1", coordinator.gatewayEndpoint(), data,
        new ApplianceConfig.Vault("s3://" + bucket + "/local?endpoint=" + TestRgw.endpoint() + "&region=us-east-1",
            dir.resolve("master.key")),
        Optional.of(new ApplianceConfig.S3Credentials(TestRgw.gatewayAccessKey(), TestRgw.gatewaySecretKey())),
        new ApplianceConfig.Tls(tls.resolve("gateway.crt"), tls.resolve("gateway.key"), tls.resolve("coordinator-ca.crt")),
        new ApplianceConfig.WebUi("127.0.0.1", webPort,
            dev.vaultgate.appliance.config.PasswordHash.create("not used here".toCharArray(), 10_000).encode()), 1,
        List.of(new ApplianceConfig.LocalVolume("db", volume, Map.of())), ApplianceConfig.Bandwidth.UNLIMITED);
  }

  @Test
  void withTheGatewaysCredentialsABackupWorksButNothingCanBeDestroyedAndTheOwnersGcStillDeletes() throws Exception {
    byte[] data = new byte[6 << 20];
    new Random(11).nextBytes(data);
    Path volume = Files.write(dir.resolve("db.img"), data);
    ApplianceConfig c = config(volume);
    String key = await(() -> new PgActivationKeyStore(coordinator.coordinator.pool()).issue(coordinator.key.accountId(),
        null, Duration.ofMinutes(30), coordinator.clock.instant())).activationKey();
    Registration.Registered joined = await(() -> Registration.join(vertx, c, coordinator.endpoint(), key));

    // a backup job, run by the appliance's agent with the gateway's credentials
    String recoveryPointId;
    Appliance running = await(() -> Appliance.start(vertx, c, Appliance.Options.defaults()));
    try {
      var backup = coordinator.backupApi();
      backup.createBackupVault(r -> r.backupVaultName("guarded"));
      String arn = dev.vaultgate.appliance.volumes.LocalVolumeResources.arn("us-east-1", coordinator.key.accountId(),
          joined.gatewayId(), "db");
      String jobId = backup.startBackupJob(r -> r.backupVaultName("guarded").resourceArn(arn)
          .iamRoleArn("arn:aws:iam::" + coordinator.key.accountId() + ":role/backup")).backupJobId();
      waitFor("backup job " + jobId, Duration.ofSeconds(120), () -> {
        String state = backup.describeBackupJob(r -> r.backupJobId(jobId)).state().toString();
        return !state.equals("CREATED") && !state.equals("RUNNING");
      });
      var job = backup.describeBackupJob(r -> r.backupJobId(jobId));
      assertEquals("COMPLETED", job.state().toString(), job.statusMessage());
      recoveryPointId = backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName("guarded")
          .recoveryPointArn(job.recoveryPointArn())).restoreMetadata().get("vaultgate:recoveryPointId");
    } finally {
      await(running::close);
    }

    String vaultPrefix = "vaults/" + coordinator.key.accountId() + "/guarded";
    String manifest = vaultPrefix + "/points/" + recoveryPointId;
    S3VaultStorage asGateway = new S3VaultStorage(vertx, S3VaultStorage.newClient(TestRgw.endpoint(), TestRgw.REGION,
        gatewayCredentials()), bucket, vaultPrefix);
    S3VaultStorage asOwner = new S3VaultStorage(vertx, TestRgw.client(), bucket, vaultPrefix);
    try (asGateway; asOwner) {
      List<ObjectInfo> packs = await(() -> asOwner.list("packs/"));
      assertTrue(!packs.isEmpty(), "the backup wrote packs");
      assertEquals(List.of(), await(() -> asOwner.list("locks/")), "the backup removed its vault lock: the one delete allowed");
      String pack = vaultPrefix + "/" + packs.get(0).key();
      String firstVersion = owner.listObjectVersions(b -> b.bucket(bucket).prefix(manifest)).join().versions().get(0).versionId();

      // what a thief with the gateway's credentials cannot do
      assertAccessDenied("DeleteObject", () -> gateway.deleteObject(b -> b.bucket(bucket).key(manifest)));
      assertAccessDenied("DeleteObject of a version", () -> gateway.deleteObject(b -> b.bucket(bucket).key(manifest)
          .versionId(firstVersion)));
      assertAccessDenied("DeleteObjects", () -> gateway.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(
          o -> o.key(pack)))).thenApply(r -> {
            if (!r.errors().isEmpty()) {
              throw S3Exception.builder().statusCode(403).awsErrorDetails(software.amazon.awssdk.awscore.exception
                  .AwsErrorDetails.builder().errorCode(r.errors().get(0).code()).build()).build();
            }
            return r;
          }));
      assertAccessDenied("PutBucketVersioning Suspended", () -> gateway.putBucketVersioning(b -> b.bucket(bucket)
          .versioningConfiguration(v -> v.status(BucketVersioningStatus.SUSPENDED))));
      assertAccessDenied("PutBucketPolicy", () -> gateway.putBucketPolicy(b -> b.bucket(bucket)
          .policy("{\"Version\":\"2012-10-17\",\"Statement\":[]}")));
      assertAccessDenied("DeleteBucketPolicy", () -> gateway.deleteBucketPolicy(b -> b.bucket(bucket)));
      assertAccessDenied("PutBucketLifecycleConfiguration", () -> gateway.putBucketLifecycleConfiguration(b -> b.bucket(bucket)
          .lifecycleConfiguration(l -> l.rules(r -> r.id("wipe").status("Enabled").filter(f -> f.prefix(""))
              .expiration(e -> e.days(1))))));
      // retention: the gateway may set and lengthen it, never shorten it
      Instant until = Instant.now().plus(Duration.ofDays(2));
      String retained = vaultPrefix + "/probe-retained";
      gateway.putObject(b -> b.bucket(bucket).key(retained).objectLockMode(ObjectLockMode.GOVERNANCE)
          .objectLockRetainUntilDate(until), AsyncRequestBody.fromString("x")).join();
      assertAccessDenied("PutObjectRetention shorter, bypassing governance", () -> gateway.putObjectRetention(b -> b
          .bucket(bucket).key(retained).bypassGovernanceRetention(true).retention(r -> r.mode(ObjectLockRetentionMode.GOVERNANCE)
              .retainUntilDate(Instant.now().plus(Duration.ofHours(1))))));
      assertAccessDenied("DeleteObject of a retained version, bypassing governance", () -> gateway.deleteObject(b -> b
          .bucket(bucket).key(retained).bypassGovernanceRetention(true)));

      // what a thief can do, overwrite: it adds a version, and the backup is still there
      String garbageVersion = gateway.putObject(b -> b.bucket(bucket).key(manifest),
          AsyncRequestBody.fromString("ransom note")).join().versionId();
      String garbagePackVersion = gateway.putObject(b -> b.bucket(bucket).key(pack),
          AsyncRequestBody.fromString("ransom note")).join().versionId();
      LocalKeyWrapper masterKey = LocalKeyWrapper.load(c.vault().masterKeyFile());
      Path target = dir.resolve("restored.img");
      Throwable tampered = assertThrows(RuntimeException.class, () -> restore(asGateway, masterKey, recoveryPointId, target));
      assertTrue(!Files.exists(target) || !Arrays.equals(data, Files.readAllBytes(target)), "the overwritten point does not restore: " + tampered);
      List<ObjectVersion> versions = owner.listObjectVersions(b -> b.bucket(bucket).prefix(manifest)).join().versions();
      assertEquals(2, versions.size(), "the overwrite only added a version: " + versions);
      assertTrue(versions.stream().anyMatch(v -> v.versionId().equals(firstVersion)));

      // the owner removes the overwriting versions; the gateway then restores the point byte for byte
      owner.deleteObject(b -> b.bucket(bucket).key(manifest).versionId(garbageVersion)).join();
      owner.deleteObject(b -> b.bucket(bucket).key(pack).versionId(garbagePackVersion)).join();
      Files.deleteIfExists(target);
      restore(asGateway, masterKey, recoveryPointId, target);
      assertArrayEquals(data, Files.readAllBytes(target), "the earlier versions restore the volume exactly");

      // forgetting the point and collecting garbage: refused to the gateway, done by the coordinator's credentials
      Repository gatewayRepo = await(() -> Repository.open(vertx, asGateway, masterKey));
      try {
        Throwable denied = assertThrows(RuntimeException.class, () -> await(() -> gatewayRepo.deletePoint(recoveryPointId)));
        assertTrue(String.valueOf(denied.getMessage()).contains("Access Denied") || String.valueOf(denied.getMessage()).contains("AccessDenied")
            || String.valueOf(denied.getMessage()).contains("403"), String.valueOf(denied.getMessage()));
      } finally {
        gatewayRepo.close();
      }
      assertEquals(1, await(() -> asOwner.list("points/")).size(), "the gateway forgot nothing");
      Repository ownerRepo = await(() -> Repository.open(vertx, asOwner, masterKey));
      try {
        await(() -> ownerRepo.deletePoint(recoveryPointId));
        await(() -> GarbageCollector.collect(ownerRepo));
      } finally {
        ownerRepo.close();
      }
      assertEquals(List.of(), await(() -> asOwner.list("points/")), "the owner forgot the point");
      assertEquals(List.of(), await(() -> asOwner.list("packs/")), "and garbage collection deleted its packs");
    }
  }

  static void waitFor(String what, Duration limit, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(200);
    }
  }

  void restore(S3VaultStorage storage, LocalKeyWrapper key, String pointId, Path target) {
    Repository repo = await(() -> Repository.open(vertx, storage, key));
    try {
      await(() -> repo.loadPoint(pointId).compose(m -> RestoreJob.run(repo, m, target, RestoreJob.Options.defaults())));
    } finally {
      repo.close();
    }
  }
}
