package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.CopyJob;
import software.amazon.awssdk.services.backup.model.CopyJobState;
import software.amazon.awssdk.services.backup.model.DescribeBackupJobResponse;
import software.amazon.awssdk.services.backup.model.DescribeRecoveryPointResponse;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;

/**
 * Copy jobs run by the gateway against real peers: the vCenter simulator, a coordinator with embedded PostgreSQL
 * driven by the AWS Backup SDK client, vaults on disk. StartCopyJob is called through the AWS API; the agent
 * leases the copy, copies the point into the destination vault and completes it.
 */
@Timeout(180)
class GatewayCopyTest {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);

  @TempDir
  static Path dir;
  private static GatewayTestbed bed;

  @BeforeAll
  static void start() throws IOException {
    bed = GatewayTestbed.start(dir, null, "--vms", "1");
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  private static CopyJob awaitCopy(String id) {
    Set<CopyJobState> ended = Set.of(CopyJobState.COMPLETED, CopyJobState.FAILED);
    waitFor("copy job " + id + " to end", JOB_TIMEOUT, () -> ended.contains(bed.backup.describeCopyJob(r -> r.copyJobId(id)).copyJob().state()));
    return bed.backup.describeCopyJob(r -> r.copyJobId(id)).copyJob();
  }

  @Test
  void aCopyJobCopiesTheBackupIntoTheDestinationVaultWhichRestoresWithoutTheSource() throws IOException {
    String source = "DC0_H0_VM0";
    TestDisks.writeRandomBlocks(bed.flatFile(source), 31, 0, 1, 2, 40, 41, 200);
    byte[] content = TestDisks.read(bed.flatFile(source));
    String backupId = bed.startBackup(source);
    waitFor("backup " + backupId, JOB_TIMEOUT, () -> Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED)
        .contains(bed.backup.describeBackupJob(r -> r.backupJobId(backupId)).state()));
    DescribeBackupJobResponse backup = bed.backup.describeBackupJob(r -> r.backupJobId(backupId));
    assertEquals(BackupJobState.COMPLETED, backup.state(), backup.statusMessage());

    String destinationVault = "copies-vault";
    String destinationArn = bed.backup.createBackupVault(r -> r.backupVaultName(destinationVault)).backupVaultArn();
    String copyId = bed.backup.startCopyJob(r -> r.recoveryPointArn(backup.recoveryPointArn()).sourceBackupVaultName(bed.vaultName)
        .destinationBackupVaultArn(destinationArn).iamRoleArn(bed.role).lifecycle(l -> l.deleteAfterDays(30L))).copyJobId();

    CopyJob copy = awaitCopy(copyId);
    assertEquals(CopyJobState.COMPLETED, copy.state(), copy.statusMessage());
    assertEquals(16L << 20, copy.backupSizeInBytes(), "the size of the VM's disks");
    String copied = copy.destinationRecoveryPointArn();
    assertNotEquals(backup.recoveryPointArn(), copied);
    DescribeRecoveryPointResponse point = bed.backup.describeRecoveryPoint(r -> r.backupVaultName(destinationVault).recoveryPointArn(copied));
    assertEquals(30L, point.lifecycle().deleteAfterDays(), "the copy has the copy action's lifecycle");

    // The destination vault stands alone: its own packs and keys, restorable with the source vault deleted.
    Path sourceVault = Path.of(URI.create(bed.vaultLocation));
    Path destinationDir = sourceVault.resolveSibling(destinationVault);
    assertTrue(Files.isDirectory(destinationDir.resolve("packs")), "the copy wrote packs of its own in " + destinationDir);
    try (Stream<Path> files = Files.walk(sourceVault)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertFalse(Files.exists(sourceVault));

    Path target = Files.createDirectories(dir.resolve("from-copy"));
    String restoreId = bed.backup.startRestoreJob(r -> r.recoveryPointArn(copied).iamRoleArn(bed.role)
        .metadata(Map.of("RestoreTo", "LocalFile", "TargetDirectory", target.toString()))).restoreJobId();
    waitFor("restore " + restoreId, JOB_TIMEOUT, () -> Set.of(RestoreJobStatus.COMPLETED, RestoreJobStatus.FAILED)
        .contains(bed.backup.describeRestoreJob(r -> r.restoreJobId(restoreId)).status()));
    var restore = bed.backup.describeRestoreJob(r -> r.restoreJobId(restoreId));
    assertEquals(RestoreJobStatus.COMPLETED, restore.status(), restore.statusMessage());
    assertArrayEquals(content, TestDisks.read(target.resolve(source + "-scsi0_0.img")));
  }
}
