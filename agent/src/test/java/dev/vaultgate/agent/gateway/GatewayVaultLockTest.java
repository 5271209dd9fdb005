package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.lockcheck.LockReconciler;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.repo.RetentionLock;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectLockState;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupJobState;

/**
 * A vault locked in the coordinator is locked in its storage: the coordinator's vaults live in a Ceph RGW bucket with
 * Object Lock, a backup job into a locked vault carries the lock's retention, and the gateway writes every object of
 * the point under it. A bucket without Object Lock cannot hold a locked vault, and says why.
 */
@RequiresRgw
@Timeout(240)
class GatewayVaultLockTest {
  private static final String VM = "DC0_H0_VM0";

  @TempDir
  static Path dir;
  private static GatewayTestbed bed;
  private static String bucket;

  @BeforeAll
  static void start() throws IOException {
    bucket = TestRgw.newBucket(true);
    bed = GatewayTestbed.start(dir, "s3://" + bucket + "/vaults?endpoint=" + TestRgw.endpoint() + "&region=us-east-1", "--vms", "1");
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void aBackupIntoALockedVaultWritesEveryObjectOfThePointUnderTheLocksRetention() throws IOException {
    AccessKey account = bed.newAccount();
    BackupClient backup = bed.backupApi(account);
    String role = "arn:aws:iam::" + account.accountId() + ":role/backup";
    GatewayConfig config = bed.config(account, 2, true).withS3Credentials(
        StaticCredentialsProvider.create(AwsBasicCredentials.create(TestRgw.accessKey(), TestRgw.secretKey())));
    GatewayAgent agent = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config));
    try {
      backup.createBackupVault(r -> r.backupVaultName("locked"));
      backup.putBackupVaultLockConfiguration(r -> r.backupVaultName("locked").minRetentionDays(1L).maxRetentionDays(30L));
      TestDisks.writeRandomBlocks(bed.flatFile(VM), 51, 0, 7, 60);
      String vmArn = VmResources.arn(GatewayTestbed.REGION, account.accountId(), bed.vm(VM));
      Instant before = Instant.now();
      String id = backup.startBackupJob(r -> r.backupVaultName("locked").iamRoleArn(role).resourceArn(vmArn)
          .lifecycle(l -> l.deleteAfterDays(7L))).backupJobId();
      waitFor("backup " + id, Duration.ofSeconds(90), () -> Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED)
          .contains(backup.describeBackupJob(r -> r.backupJobId(id)).state()));
      var done = backup.describeBackupJob(r -> r.backupJobId(id));
      assertEquals(BackupJobState.COMPLETED, done.state(), done.statusMessage());

      // retried as the gateway's own reads are: RGW sometimes closes a kept-alive connection under a request
      VaultStorage vault = new RetryingVaultStorage(bed.vc.vertx,
          new S3VaultStorage(bed.vc.vertx, TestRgw.client(), bucket, "vaults/" + account.accountId() + "/locked"));
      try (vault) {
        List<ObjectInfo> objects = await(bed.vc.vertx, () -> vault.list(""));
        long checked = 0;
        for (ObjectInfo o : objects) {
          if (o.key().startsWith("locks/")) {
            continue; // the backup's own vault lock object, gone after the job
          }
          ObjectLockState state = await(bed.vc.vertx, () -> vault.lockState(o.key()));
          Retention r = state.retention().orElseThrow(() -> new AssertionError(o.key() + " has no retention"));
          assertEquals(RetentionMode.GOVERNANCE, r.mode(), o.key() + ": a lock without ChangeableForDays is governance");
          assertFalse(r.retainUntil().isBefore(before.plus(Duration.ofDays(7))), o.key() + " retained until " + r.retainUntil());
          assertTrue(r.retainUntil().isBefore(before.plus(Duration.ofDays(8))), o.key() + " retained until " + r.retainUntil());
          checked++;
        }
        assertTrue(objects.stream().anyMatch(o -> o.key().startsWith("points/")), objects.toString());
        assertTrue(checked >= 4, "config, a pack, an index segment and a manifest at least: " + objects);
      }

      // The scheduled lock check: storage and database agree, until the database keeps the point longer.
      LockReconciler check = new LockReconciler(bed.coordinator.pool(), bed.vaults(url -> {
            VaultLocation.S3Location at = (VaultLocation.S3Location) VaultLocation.parse(url);
            // retried, as the coordinator opens storage: RGW closes a kept-alive connection now and then
            return new RetryingVaultStorage(bed.vc.vertx,
                new S3VaultStorage(bed.vc.vertx, TestRgw.client(), at.bucket(), at.prefix()));
          }));
      assertEquals(0, await(bed.coordinatorVertx, () -> check.run(Instant.now())), "a consistent point has no finding");
      backup.updateRecoveryPointLifecycle(r -> r.backupVaultName("locked").recoveryPointArn(done.recoveryPointArn())
          .lifecycle(l -> l.deleteAfterDays(20L)));
      // every object the point needs falls 13 days short: its manifest, its reference list and what that names
      // (config, packs, index segments); one finding per point, naming the manifest and counting the rest
      int shortObjects = await(bed.coordinatorVertx, () -> check.run(Instant.now()));
      assertTrue(shortObjects >= 5, "manifest, reference list, config, a pack and an index segment: " + shortObjects);
      List<String> findings = await(bed.coordinatorVertx, () -> check.findings(account.accountId(), done.recoveryPointArn()));
      assertEquals(1, findings.size(), findings.toString());
      assertTrue(findings.get(0).matches("points/[0-9a-f]{32} is retained in storage \\(GOVERNANCE\\) only until .*; and "
          + (shortObjects - 1) + " more of the point's objects likewise"), findings.get(0));
      String shown = backup.describeRecoveryPoint(r -> r.backupVaultName("locked").recoveryPointArn(done.recoveryPointArn()))
          .statusMessage();
      assertTrue(shown.startsWith("Vault lock check: points/"), "visible through DescribeRecoveryPoint: " + shown);

      // Back to the delete date the backup wrote: consistent. Then one pack alone is shortened (governance lets the
      // owner bypass): the check asks about packs too, and names that one.
      backup.updateRecoveryPointLifecycle(r -> r.backupVaultName("locked").recoveryPointArn(done.recoveryPointArn())
          .lifecycle(l -> l.deleteAfterDays(7L)));
      assertEquals(0, await(bed.coordinatorVertx, () -> check.run(Instant.now())), "consistent again");
      String prefix = "vaults/" + account.accountId() + "/locked/";
      String pack = TestRgw.client().listObjectsV2(r -> r.bucket(bucket).prefix(prefix + "packs/")).join().contents().get(0).key();
      TestRgw.client().putObjectRetention(r -> r.bucket(bucket).key(pack).bypassGovernanceRetention(true)
          .retention(rr -> rr.mode(software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode.GOVERNANCE)
              .retainUntilDate(Instant.now().plus(Duration.ofDays(2))))).join();
      assertEquals(1, await(bed.coordinatorVertx, () -> check.run(Instant.now())), "one pack retained 5 days too short");
      List<String> packFindings = await(bed.coordinatorVertx, () -> check.findings(account.accountId(), done.recoveryPointArn()));
      String last = packFindings.get(packFindings.size() - 1);
      assertTrue(last.startsWith(pack.substring(prefix.length()) + " is retained in storage (GOVERNANCE) only until "), last);
    } finally {
      await(bed.vc.vertx, agent::close);
    }
  }

  @Test
  void aLockedVaultCannotBeCreatedInABucketWithoutObjectLockAndTheReasonIsGiven() {
    String plain = TestRgw.newBucket(false);
    VaultAccess access = new VaultAccess(bed.vc.vertx, dir.resolve("lock-test.key"),
        StaticCredentialsProvider.create(AwsBasicCredentials.create(TestRgw.accessKey(), TestRgw.secretKey())));
    RetentionLock lock = new RetentionLock(RetentionMode.COMPLIANCE, Duration.ofDays(1), Duration.ofDays(30));
    Throwable e = dev.vaultgate.agent.testing.Await.failure(bed.vc.vertx,
        () -> access.open("s3://" + plain + "/v?endpoint=" + TestRgw.endpoint() + "&region=us-east-1", lock));
    assertTrue(e.getMessage().contains("does not have Object Lock enabled"), e.getMessage());
    Throwable onFiles = dev.vaultgate.agent.testing.Await.failure(bed.vc.vertx,
        () -> access.open(dir.resolve("file-vault").toUri().toString(), lock));
    assertTrue(onFiles.getMessage().contains("only an S3 bucket with Object Lock enabled can hold a locked vault"), onFiles.getMessage());
  }
}
