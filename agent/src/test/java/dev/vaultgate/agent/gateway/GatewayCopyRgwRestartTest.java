package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.IndexSegmentCodec;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
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
import software.amazon.awssdk.services.backup.model.CopyJob;
import software.amazon.awssdk.services.backup.model.CopyJobState;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;

/**
 * Issue #7's fault through the whole system: StartCopyJob between two vaults in Ceph RGW while radosgw restarts (the
 * cluster and its data stay). The gateway's copy outlasts the outage (it runs again, writing only what is missing),
 * the job completes, the destination holds every chunk once, and the copy restores byte for byte. The same fault in
 * the middle of a pack transfer, with the destination's packs and index read raw, is
 * {@code dev.vaultgate.vault.copy.CopyAcrossRgwRestartTest}.
 */
@RequiresRgw
@Timeout(300)
class GatewayCopyRgwRestartTest {
  private static final String VM = "DC0_H0_VM0";

  @TempDir
  static Path dir;
  private static GatewayTestbed bed;
  private static String bucket;
  private static AccessKey account;
  private static BackupClient backup;
  private static GatewayAgent agent;
  private static GatewayConfig config;

  @BeforeAll
  static void start() throws IOException {
    bucket = TestRgw.newBucket(true);
    bed = GatewayTestbed.start(dir, "s3://" + bucket + "/vaults?endpoint=" + TestRgw.endpoint() + "&region=us-east-1", "--vms", "1");
    account = bed.newAccount();
    backup = bed.backupApi(account);
    config = bed.config(account, 2, true).withS3Credentials(
        StaticCredentialsProvider.create(AwsBasicCredentials.create(TestRgw.accessKey(), TestRgw.secretKey())));
    agent = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config));
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

  @Test
  void aCopyJobOutlastsAnRgwRestartCompletesAndWritesEveryChunkOnce() throws Exception {
    String role = "arn:aws:iam::" + account.accountId() + ":role/backup";
    backup.createBackupVault(r -> r.backupVaultName("primary"));
    String destinationArn = backup.createBackupVault(r -> r.backupVaultName("secondary")).backupVaultArn();
    TestDisks.writeRandomBlocks(bed.flatFile(VM), 81, 0, 1, 2, 3, 40, 41, 100, 200, 201);
    byte[] content = TestDisks.read(bed.flatFile(VM));
    String vmArn = VmResources.arn(GatewayTestbed.REGION, account.accountId(), bed.vm(VM));
    String backupId = backup.startBackupJob(r -> r.backupVaultName("primary").iamRoleArn(role).resourceArn(vmArn)).backupJobId();
    waitFor("backup " + backupId, Duration.ofSeconds(120), () -> Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED)
        .contains(backup.describeBackupJob(r -> r.backupJobId(backupId)).state()));
    var done = backup.describeBackupJob(r -> r.backupJobId(backupId));
    assertEquals(BackupJobState.COMPLETED, done.state(), done.statusMessage());

    TestRgw.stopGateway();
    String copyId;
    try {
      copyId = backup.startCopyJob(r -> r.recoveryPointArn(done.recoveryPointArn()).sourceBackupVaultName("primary")
          .destinationBackupVaultArn(destinationArn).iamRoleArn(role)).copyJobId();
      waitFor("the gateway to take copy job " + copyId, Duration.ofSeconds(60),
          () -> backup.describeCopyJob(r -> r.copyJobId(copyId)).copyJob().state() == CopyJobState.RUNNING);
      Thread.sleep(4000); // the copy's storage requests fail meanwhile, beyond what the storage's own retries cover
      assertEquals(CopyJobState.RUNNING, backup.describeCopyJob(r -> r.copyJobId(copyId)).copyJob().state(),
          "the job waits for the storage instead of failing");
    } finally {
      TestRgw.startGateway();
    }
    waitFor("copy job " + copyId, Duration.ofSeconds(120), () -> Set.of(CopyJobState.COMPLETED, CopyJobState.FAILED)
        .contains(backup.describeCopyJob(r -> r.copyJobId(copyId)).copyJob().state()));
    CopyJob copy = backup.describeCopyJob(r -> r.copyJobId(copyId)).copyJob();
    assertEquals(CopyJobState.COMPLETED, copy.state(), copy.statusMessage());

    // The destination, read with the gateway's key: every chunk indexed once, every pack indexed, the vault sound.
    VaultStorage destination = new RetryingVaultStorage(bed.vc.vertx,
        new S3VaultStorage(bed.vc.vertx, TestRgw.client(), bucket, "vaults/" + account.accountId() + "/secondary"));
    try (destination; Repository repo = await(bed.vc.vertx,
        () -> Repository.open(bed.vc.vertx, destination, LocalKeyWrapper.load(config.masterKeyFile())))) {
      int entries = 0;
      Set<ByteBuffer> ids = new HashSet<>();
      Set<String> packsIndexed = new HashSet<>();
      for (ObjectInfo segment : await(bed.vc.vertx, () -> destination.list(ObjectKeys.INDEX))) {
        byte[] sealed = await(bed.vc.vertx, () -> destination.get(segment.key()));
        for (IndexEntry e : IndexSegmentCodec.decode(repo.keys(), ObjectKeys.idOf(segment.key()), sealed)) {
          entries++;
          ids.add(ByteBuffer.wrap(e.chunkId()));
          packsIndexed.add(e.packId());
        }
      }
      assertEquals(ids.size(), entries, "no chunk indexed twice");
      Set<String> packsStored = new HashSet<>();
      for (ObjectInfo pack : await(bed.vc.vertx, () -> destination.list(ObjectKeys.PACKS))) {
        packsStored.add(ObjectKeys.idOf(pack.key()));
      }
      assertEquals(packsIndexed, packsStored, "no pack written twice or left unindexed");
      CheckReport check = await(bed.vc.vertx, () -> VaultChecker.check(repo, true));
      assertTrue(check.ok(), check.errors().toString());
    }

    Path target = Files.createDirectories(dir.resolve("from-copy"));
    String restoreId = backup.startRestoreJob(r -> r.recoveryPointArn(copy.destinationRecoveryPointArn()).iamRoleArn(role)
        .metadata(Map.of("RestoreTo", "LocalFile", "TargetDirectory", target.toString()))).restoreJobId();
    waitFor("restore " + restoreId, Duration.ofSeconds(120), () -> Set.of(RestoreJobStatus.COMPLETED, RestoreJobStatus.FAILED)
        .contains(backup.describeRestoreJob(r -> r.restoreJobId(restoreId)).status()));
    var restore = backup.describeRestoreJob(r -> r.restoreJobId(restoreId));
    assertEquals(RestoreJobStatus.COMPLETED, restore.status(), restore.statusMessage());
    assertArrayEquals(content, TestDisks.read(target.resolve(VM + "-scsi0_0.img")), "nothing lost");
  }
}
