package dev.vaultgate.coordinator.backup;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.testing.TestCoordinator;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.CopyJobState;
import software.amazon.awssdk.services.backup.model.InvalidParameterValueException;
import software.amazon.awssdk.services.backup.model.ResourceNotFoundException;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;

/** Restore and copy jobs of recovery points, through the SDK. */
class RestoreAndCopyJobApiTest {

  static final String ROLE = "arn:aws:iam::000000000000:role/backup";
  static TestCoordinator env;
  static BackupClient backup;
  static RecoveryPointStore points;
  static String vault;
  static String point;
  static final String VM = "arn:aws:backup-gateway:us-east-1:000000000000:vm/vm-restore";

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    backup = env.client();
    points = new PgRecoveryPointStore(env.coordinator.pool());
    vault = unique("src");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    String jobId = backup.startBackupJob(r -> r.backupVaultName(vault).resourceArn(VM).iamRoleArn(ROLE)
        .lifecycle(l -> l.deleteAfterDays(35L))).backupJobId();
    point = await(points.completeBackup("000000000000", jobId, 8192L, Map.of(), Instant.now())).arn();
  }

  @Test
  void restoreOfAPointIsPendingUntilAGatewayTakesIt() {
    String id = backup.startRestoreJob(r -> r.recoveryPointArn(point).iamRoleArn(ROLE)
        .metadata(Map.of("VMName", "restored-vm", "VMDatastore", "LocalDS_0"))).restoreJobId();
    var job = backup.describeRestoreJob(r -> r.restoreJobId(id));
    assertEquals(RestoreJobStatus.PENDING, job.status());
    assertEquals(point, job.recoveryPointArn());
    assertEquals("VirtualMachine", job.resourceType());
    assertEquals(8192L, job.backupSizeInBytes());
    assertTrue(backup.listRestoreJobs(r -> r.byStatus(RestoreJobStatus.PENDING)).restoreJobs().stream()
        .anyMatch(j -> j.restoreJobId().equals(id)));
  }

  @Test
  void restoreWithTheSameIdempotencyTokenIsOneJob() {
    String token = unique("restore");
    String a = backup.startRestoreJob(r -> r.recoveryPointArn(point).metadata(Map.of()).idempotencyToken(token)).restoreJobId();
    String b = backup.startRestoreJob(r -> r.recoveryPointArn(point).metadata(Map.of()).idempotencyToken(token)).restoreJobId();
    assertEquals(a, b);
  }

  @Test
  void restoreOfAnUnknownPointOrWithAnotherTypeIsRefused() {
    assertThrows(ResourceNotFoundException.class, () -> backup.startRestoreJob(r -> r
        .recoveryPointArn("arn:aws:backup:us-east-1:000000000000:recovery-point:none").metadata(Map.of())));
    assertThrows(InvalidParameterValueException.class, () -> backup.startRestoreJob(r -> r
        .recoveryPointArn(point).metadata(Map.of()).resourceType("EBS")));
    assertThrows(ResourceNotFoundException.class, () -> backup.describeRestoreJob(r -> r.restoreJobId("none")));
  }

  @Test
  void copyToAnotherVaultIsCreatedWithADestinationPointArn() {
    String dest = unique("dst");
    String destArn = backup.createBackupVault(r -> r.backupVaultName(dest)).backupVaultArn();
    var started = backup.startCopyJob(r -> r.recoveryPointArn(point).sourceBackupVaultName(vault)
        .destinationBackupVaultArn(destArn).iamRoleArn(ROLE).lifecycle(l -> l.deleteAfterDays(60L)));
    var job = backup.describeCopyJob(r -> r.copyJobId(started.copyJobId())).copyJob();
    assertEquals(CopyJobState.CREATED, job.state());
    assertEquals(point, job.sourceRecoveryPointArn());
    assertEquals(destArn, job.destinationBackupVaultArn());
    assertTrue(job.destinationRecoveryPointArn().startsWith("arn:aws:backup:us-east-1:000000000000:recovery-point:"));
    assertNotEquals(point, job.destinationRecoveryPointArn());
    assertEquals(1, backup.listCopyJobs(r -> r.byDestinationVaultArn(destArn)).copyJobs().size());
  }

  @Test
  void copyToACrossRegionVaultIsAcceptedForTheCopyWorker() {
    String dr = "arn:aws:backup:eu-west-1:000000000000:backup-vault:dr";
    var started = backup.startCopyJob(r -> r.recoveryPointArn(point).sourceBackupVaultName(vault)
        .destinationBackupVaultArn(dr).iamRoleArn(ROLE));
    assertTrue(backup.describeCopyJob(r -> r.copyJobId(started.copyJobId())).copyJob()
        .destinationRecoveryPointArn().startsWith("arn:aws:backup:eu-west-1:000000000000:recovery-point:"));
  }

  @Test
  void copyBreakingRulesIsRefused() {
    String locked = unique("lockeddst");
    String lockedArn = backup.createBackupVault(r -> r.backupVaultName(locked)).backupVaultArn();
    backup.putBackupVaultLockConfiguration(r -> r.backupVaultName(locked).minRetentionDays(90L));
    assertThrows(InvalidParameterValueException.class, () -> backup.startCopyJob(r -> r.recoveryPointArn(point)
        .sourceBackupVaultName(vault).destinationBackupVaultArn(lockedArn).iamRoleArn(ROLE).lifecycle(l -> l.deleteAfterDays(30L))));
    assertThrows(ResourceNotFoundException.class, () -> backup.startCopyJob(r -> r.recoveryPointArn(point)
        .sourceBackupVaultName(vault).destinationBackupVaultArn("arn:aws:backup:us-east-1:000000000000:backup-vault:nowhere")
        .iamRoleArn(ROLE)));
    assertThrows(InvalidParameterValueException.class, () -> backup.startCopyJob(r -> r.recoveryPointArn(point)
        .sourceBackupVaultName(vault).destinationBackupVaultArn("arn:aws:s3:::bucket").iamRoleArn(ROLE)));
    assertThrows(InvalidParameterValueException.class, () -> backup.startCopyJob(r -> r.recoveryPointArn(point)
        .sourceBackupVaultName(vault).destinationBackupVaultArn(lockedArn).iamRoleArn(ROLE)
        .lifecycle(l -> l.moveToColdStorageAfterDays(30L).deleteAfterDays(100L))));
    assertThrows(ResourceNotFoundException.class, () -> backup.startCopyJob(r -> r.recoveryPointArn(point)
        .sourceBackupVaultName(locked).destinationBackupVaultArn(lockedArn).iamRoleArn(ROLE)));
  }

  @Test
  void anotherAccountSeesNoneOfTheseJobsOrPoints() {
    try (BackupClient stranger = env.client(env.newAccount())) {
      assertThrows(ResourceNotFoundException.class, () -> stranger.startRestoreJob(r -> r.recoveryPointArn(point).metadata(Map.of())));
      assertThrows(ResourceNotFoundException.class, () -> stranger.describeRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(point)));
      assertEquals(0, stranger.listRestoreJobs(r -> { }).restoreJobs().size());
      assertEquals(0, stranger.listCopyJobs(r -> { }).copyJobs().size());
      assertEquals(0, stranger.listProtectedResources(r -> { }).results().size());
    }
  }
}
