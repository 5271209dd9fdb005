package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.vaultgc.PointStorageDeletion;
import dev.vaultgate.coordinator.vaultgc.VaultGarbageCollection;
import dev.vaultgate.coordinator.vaultgc.VaultGcSettings;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;

/**
 * A deleted recovery point in a locked vault on Ceph RGW (Object Lock enforced): while its retention lasts the storage
 * refuses, the point stays pending with the reason and nothing is lost; once the retention has passed the next try
 * deletes it.
 */
@RequiresRgw
@Timeout(300)
class GatewayVaultGcRgwTest {
  @TempDir
  static Path dir;
  private static GatewayTestbed bed;
  private static String bucket;
  private static AccessKey account;
  private static BackupClient backup;
  private static GatewayAgent agent;
  private static GatewayConfig agentConfig;
  private static String role;

  @BeforeAll
  static void start() throws IOException {
    bucket = TestRgw.newBucket(true);
    bed = GatewayTestbed.start(dir, "s3://" + bucket + "/vaults?endpoint=" + TestRgw.endpoint() + "&region=us-east-1", "--vms", "1");
    account = bed.newAccount();
    backup = bed.backupApi(account);
    role = "arn:aws:iam::" + account.accountId() + ":role/backup";
    agentConfig = bed.config(account, 2, true).withS3Credentials(
        StaticCredentialsProvider.create(AwsBasicCredentials.create(TestRgw.accessKey(), TestRgw.secretKey())));
    agent = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, agentConfig));
  }

  @AfterAll
  static void stop() {
    if (agent != null) {
      await(bed.vc.vertx, agent::close);
    }
    if (bed != null) {
      bed.close();
    }
  }

  /** Opens vault storage as the coordinator does, with the bucket owner's keys. */
  private static final Function<String, VaultStorage> OPEN = url -> {
    VaultLocation.S3Location at = (VaultLocation.S3Location) VaultLocation.parse(url);
    return new RetryingVaultStorage(bed.coordinatorVertx, new S3VaultStorage(bed.coordinatorVertx, TestRgw.client(),
        at.bucket(), at.prefix()));
  };

  private static final Duration RETRY = Duration.ofMinutes(1);

  private static PointStorageDeletion deletion() {
    return new PointStorageDeletion(bed.coordinator.pool(), bed.vaults(OPEN), bed.coordinator.activityLog(), RETRY);
  }

  private static String prefix(String vaultName) {
    return "vaults/" + account.accountId() + "/" + vaultName + "/";
  }

  private static boolean exists(String vaultName, String key) {
    try (VaultStorage vault = OPEN.apply(dev.vaultgate.coordinator.agent.VaultLocations.of(
        bed.coordinator.config().vaultStorageRoot(), account.accountId(), vaultName))) {
      return await(bed.coordinatorVertx, () -> vault.list(key)).stream().map(ObjectInfo::key).anyMatch(key::equals);
    }
  }

  private static Map<String, Object> pending(String pointArn) {
    return await(bed.coordinatorVertx, () -> bed.coordinator.pool()
        .preparedQuery("SELECT attempts, last_refusal FROM recovery_point_storage_deletions WHERE recovery_point_arn = $1")
        .execute(io.vertx.sqlclient.Tuple.of(pointArn))
        .map(rows -> rows.size() == 0 ? null : Map.<String, Object>of("attempts", rows.iterator().next().getInteger(0),
            "refusal", rows.iterator().next().getString(1))));
  }

  @Test
  void aPointWhoseRetentionLastsStaysPendingWithNothingLostAndGoesOnceTheRetentionEnded() {
    backup.createBackupVault(r -> r.backupVaultName("locked-gc"));
    backup.putBackupVaultLockConfiguration(r -> r.backupVaultName("locked-gc").minRetentionDays(1L).maxRetentionDays(60L));
    TestDisks.writeRandomBlocks(bed.flatFile("DC0_H0_VM0"), 81, 0, 7, 60, 200);
    String vmArn = VmResources.arn(GatewayTestbed.REGION, account.accountId(), bed.vm("DC0_H0_VM0"));
    String job = backup.startBackupJob(r -> r.backupVaultName("locked-gc").iamRoleArn(role).resourceArn(vmArn)
        .lifecycle(l -> l.deleteAfterDays(2L))).backupJobId();
    waitFor("backup " + job, Duration.ofSeconds(120), () -> Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED)
        .contains(backup.describeBackupJob(r -> r.backupJobId(job)).state()));
    var done = backup.describeBackupJob(r -> r.backupJobId(job));
    assertEquals(BackupJobState.COMPLETED, done.state(), done.statusMessage());
    String point = done.recoveryPointArn();
    List<String> ids = List.of(backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName("locked-gc")
        .recoveryPointArn(point)).restoreMetadata().get("vaultgate:pointIds").split(","));

    // The scheduler's clock is two days and more ahead: the lifecycle deletes the row, while the storage (real time)
    // still retains the point for two days.
    Instant later = Instant.now().plus(Duration.ofDays(2)).plus(Duration.ofHours(1));
    await(bed.coordinatorVertx, () -> bed.coordinator.scheduler().tick(later));
    PointStorageDeletion.Result refused = await(bed.coordinatorVertx, () -> deletion().run(later));
    assertEquals(new PointStorageDeletion.Result(0, 1, 0), refused, "Object Lock refuses while the retention lasts");
    for (String id : ids) {
      assertTrue(exists("locked-gc", ObjectKeys.point(id)), "manifest " + id + " is not lost");
      assertTrue(exists("locked-gc", ObjectKeys.refs(id)), "reference list " + id + " is not lost");
    }
    Map<String, Object> waiting = pending(point);
    assertNotNull(waiting, "the point stays pending");
    assertEquals(1, waiting.get("attempts"));
    assertTrue(String.valueOf(waiting.get("refusal")).contains("Object Lock"), String.valueOf(waiting.get("refusal")));
    assertEquals(new PointStorageDeletion.Result(0, 0, 0), await(bed.coordinatorVertx, () -> deletion().run(later)),
        "not tried again before the retry time");

    // The retention ends: stood in for by the bucket owner shortening the GOVERNANCE retention (with the bypass the
    // coordinator never uses) to a few seconds from now, as waiting a day would.
    Instant retainUntil = Instant.now().plusSeconds(3);
    try (S3AsyncClient owner = TestRgw.client()) {
      for (String id : ids) {
        for (String key : List.of(ObjectKeys.point(id), ObjectKeys.refs(id))) {
          owner.putObjectRetention(b -> b.bucket(bucket).key(prefix("locked-gc") + key).bypassGovernanceRetention(true)
              .retention(rr -> rr.mode(ObjectLockRetentionMode.GOVERNANCE).retainUntilDate(retainUntil))).join();
        }
      }
    }
    waitFor("the retention to end", Duration.ofSeconds(20), () -> Instant.now().isAfter(retainUntil.plusSeconds(1)));
    Instant retry = later.plus(RETRY).plusSeconds(1);
    assertEquals(new PointStorageDeletion.Result(1, 0, 0), await(bed.coordinatorVertx, () -> deletion().run(retry)));
    for (String id : ids) {
      assertFalse(exists("locked-gc", ObjectKeys.point(id)), "manifest " + id + " left storage");
      assertFalse(exists("locked-gc", ObjectKeys.refs(id)), "reference list " + id + " left storage");
    }
    assertEquals(null, pending(point), "no longer pending");

    // The gc that follows leaves alone what Object Lock still retains (the packs, retained two days), and loses nothing.
    VaultGarbageCollection gc = new VaultGarbageCollection(bed.coordinatorVertx, bed.coordinator.pool(),
        bed.vaults(OPEN), bed.coordinator.activityLog(),
        new VaultGcSettings(agentConfig.masterKeyFile(), RETRY));
    VaultGarbageCollection.Result collected = await(bed.coordinatorVertx, () -> gc.run(retry));
    assertEquals(1, collected.vaultsCollected(), collected.toString());
    assertEquals(0, collected.packsDeleted(), "retained packs stay: " + collected);
    assertTrue(exists("locked-gc", ObjectKeys.CONFIG), "the vault itself is intact");
    assertEquals(1, await(bed.coordinatorVertx, () -> gc.run(retry.plus(RETRY).plusSeconds(1))).vaultsCollected(),
        "the vault stays due while Object Lock kept packs gc would free");
  }
}
