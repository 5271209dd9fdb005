package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.backup.VmRecoveryPoint;
import dev.vaultgate.agent.backup.VmRecoveryPoints;
import dev.vaultgate.agent.restore.VmRestore;
import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.testing.TestVaults;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.CopyJob;
import software.amazon.awssdk.services.backup.model.CopyJobState;

/**
 * A copy into another account's vault in another region, end to end: two regions as two buckets of the in-process
 * S3 server (us-east-1's vaults in one, us-west-2's in the other, named to the us-east-1 coordinator by
 * {@code --region-storage}), a us-west-2 coordinator on the same database owning the destination vault, the
 * gateway agent doing the copy, and the destination restoring with the source's data deleted.
 */
@Timeout(240)
class GatewayCrossRegionCopyTest {
  private static final String VM = "DC0_H0_VM0";

  @TempDir
  static Path dir;
  private static GatewayTestbed bed;
  private static Coordinator west;
  private static String eastBucket;
  private static String westBucket;

  private static String root(String bucket, String region) {
    return "s3://" + bucket + "/vaults?endpoint=" + TestVaults.s3Server().endpoint() + "&region=" + region;
  }

  @BeforeAll
  static void start() throws IOException {
    eastBucket = TestVaults.newBucket();
    westBucket = TestVaults.newBucket();
    bed = GatewayTestbed.start(dir, root(eastBucket, "us-east-1"), Map.of("us-west-2", root(westBucket, "us-west-2")), "--vms", "1");
    Path data = dir.resolve("west-" + UUID.randomUUID());
    west = await(bed.coordinatorVertx, () -> Coordinator.start(bed.coordinatorVertx, new CoordinatorConfig("127.0.0.1", 0, data,
        bed.coordinator.embeddedDatabaseUrl().orElseThrow(), "us-west-2", "000000000000", 1, 1 << 20, Duration.ZERO)
        .withStorage(root(westBucket, "us-west-2"), null), Map.of(), Clock.systemUTC()));
  }

  @AfterAll
  static void stop() {
    try {
      if (west != null) {
        await(bed.coordinatorVertx, west::close);
      }
    } finally {
      if (bed != null) {
        bed.close();
      }
    }
  }

  private static BackupClient westClient(AccessKey key) {
    return BackupClient.builder()
        .endpointOverride(URI.create("http://127.0.0.1:" + west.port()))
        .region(Region.US_WEST_2)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  private static CopyJob awaitCopy(BackupClient backup, String id) {
    waitFor("copy job " + id, Duration.ofSeconds(90), () -> Set.of(CopyJobState.COMPLETED, CopyJobState.FAILED)
        .contains(backup.describeCopyJob(r -> r.copyJobId(id)).copyJob().state()));
    return backup.describeCopyJob(r -> r.copyJobId(id)).copyJob();
  }

  private static String allowCopiesFrom(String account) {
    return new JsonObject().put("Version", "2012-10-17").put("Statement", new JsonArray().add(new JsonObject()
        .put("Effect", "Allow").put("Principal", new JsonObject().put("AWS", "arn:aws:iam::" + account + ":root"))
        .put("Action", "backup:CopyIntoBackupVault").put("Resource", "*"))).encode();
  }

  @Test
  void aCopyIntoAnotherAccountsVaultInAnotherRegionLandsInThatRegionsBucketAndRestoresWithoutTheSource() throws IOException {
    AccessKey source = bed.newAccount();
    AccessKey target = bed.newAccount();
    BackupClient backup = bed.backupApi(source);
    String role = "arn:aws:iam::" + source.accountId() + ":role/backup";
    GatewayConfig config = bed.config(source, 2, true).withS3Credentials(
        StaticCredentialsProvider.create(AwsBasicCredentials.create(TestVaults.ACCESS_KEY, TestVaults.SECRET_KEY)));
    GatewayAgent agent = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config));
    try (BackupClient westBackup = westClient(target)) {
      TestDisks.writeRandomBlocks(bed.flatFile(VM), 41, 0, 3, 9, 100, 101);
      byte[] content = TestDisks.read(bed.flatFile(VM));
      backup.createBackupVault(r -> r.backupVaultName("east-src"));
      String vmArn = VmResources.arn(GatewayTestbed.REGION, source.accountId(), bed.vm(VM));
      String backupId = backup.startBackupJob(r -> r.backupVaultName("east-src").iamRoleArn(role).resourceArn(vmArn)).backupJobId();
      waitFor("backup " + backupId, Duration.ofSeconds(90), () -> Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED)
          .contains(backup.describeBackupJob(r -> r.backupJobId(backupId)).state()));
      var done = backup.describeBackupJob(r -> r.backupJobId(backupId));
      assertEquals(BackupJobState.COMPLETED, done.state(), done.statusMessage());

      // Another account's us-west-2 vault: without a policy the copy is refused as on AWS; with one it runs.
      String destination = westBackup.createBackupVault(r -> r.backupVaultName("west-dr")).backupVaultArn();
      String refusedId = backup.startCopyJob(r -> r.recoveryPointArn(done.recoveryPointArn()).sourceBackupVaultName("east-src")
          .destinationBackupVaultArn(destination).iamRoleArn(role)).copyJobId();
      CopyJob refused = backup.describeCopyJob(r -> r.copyJobId(refusedId)).copyJob();
      assertEquals(CopyJobState.FAILED, refused.state());
      assertTrue(refused.statusMessage().startsWith("Access Denied trying to call AWS Backup service"), refused.statusMessage());

      westBackup.putBackupVaultAccessPolicy(r -> r.backupVaultName("west-dr").policy(allowCopiesFrom(source.accountId())));
      String copyId = backup.startCopyJob(r -> r.recoveryPointArn(done.recoveryPointArn()).sourceBackupVaultName("east-src")
          .destinationBackupVaultArn(destination).iamRoleArn(role).lifecycle(l -> l.deleteAfterDays(10L))).copyJobId();
      CopyJob copy = awaitCopy(backup, copyId);
      assertEquals(CopyJobState.COMPLETED, copy.state(), copy.statusMessage());
      var registered = westBackup.describeRecoveryPoint(r -> r.backupVaultName("west-dr")
          .recoveryPointArn(copy.destinationRecoveryPointArn()));
      assertEquals(destination, registered.backupVaultArn());

      // The copy's objects are in the us-west-2 bucket under the target account; the source's only in us-east-1's.
      S3VaultStorage westVault = new S3VaultStorage(bed.vc.vertx, TestVaults.s3Client(TestVaults.SECRET_KEY), westBucket,
          "vaults/" + target.accountId() + "/west-dr");
      S3VaultStorage eastVault = new S3VaultStorage(bed.vc.vertx, TestVaults.s3Client(TestVaults.SECRET_KEY), eastBucket,
          "vaults/" + source.accountId() + "/east-src");
      try (westVault; eastVault) {
        assertFalse(await(bed.vc.vertx, () -> westVault.list("packs/")).isEmpty(), "the copy wrote its own packs in us-west-2");
        List<ObjectInfo> sourceObjects = await(bed.vc.vertx, () -> eastVault.list(""));
        assertFalse(sourceObjects.isEmpty());
        for (ObjectInfo o : sourceObjects) {
          await(bed.vc.vertx, () -> eastVault.delete(o.key()));
        }
        assertTrue(await(bed.vc.vertx, () -> eastVault.list("")).isEmpty(), "the source vault is gone");

        Path restored = dir.resolve("restored-from-west.img");
        LocalKeyWrapper key = LocalKeyWrapper.load(config.masterKeyFile());
        await(bed.vc.vertx, () -> Repository.open(bed.vc.vertx, westVault, key).compose(repo ->
            VmRecoveryPoints.withLabel(repo, "recoveryPointArn", copy.destinationRecoveryPointArn())
                .compose(point -> VmRestore.diskToFile(repo, point, point.diskNames().get(0), restored))
                .eventually(() -> {
                  repo.close();
                  return Future.succeededFuture();
                })));
        assertArrayEquals(content, Files.readAllBytes(restored), "the us-west-2 copy restores on its own");
      }
    } finally {
      await(bed.vc.vertx, agent::close);
    }
  }
}
