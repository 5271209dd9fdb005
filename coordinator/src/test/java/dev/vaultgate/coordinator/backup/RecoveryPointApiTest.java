package dev.vaultgate.coordinator.backup;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.testing.TestCoordinator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupException;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.BackupVaultEvent;
import software.amazon.awssdk.services.backup.model.DescribeRecoveryPointResponse;
import software.amazon.awssdk.services.backup.model.InvalidParameterValueException;
import software.amazon.awssdk.services.backup.model.InvalidRequestException;
import software.amazon.awssdk.services.backup.model.InvalidResourceStateException;
import software.amazon.awssdk.services.backup.model.LegalHoldStatus;
import software.amazon.awssdk.services.backup.model.RecoveryPointByBackupVault;
import software.amazon.awssdk.services.backup.model.RecoveryPointStatus;
import software.amazon.awssdk.services.backup.model.ResourceNotFoundException;
import software.amazon.awssdk.services.backup.model.StorageClass;

/**
 * Recovery points, vault lock and legal holds on them, and the vault access policy, through the
 * SDK. Points are made the way the agent API will make them: a started job completed by the
 * gateway's report ({@link RecoveryPointStore#completeBackup}).
 */
class RecoveryPointApiTest {

  static final String ROLE = "arn:aws:iam::000000000000:role/backup";
  static TestCoordinator env;
  static BackupClient backup;
  static RecoveryPointStore store;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    backup = env.client();
    store = new PgRecoveryPointStore(env.coordinator.pool());
  }

  static String vault() {
    String name = unique("rp");
    backup.createBackupVault(r -> r.backupVaultName(name));
    return name;
  }

  /** Starts a job and completes it as a gateway would: the recovery point's ARN. */
  static String backedUp(String vault, String vm, Long coldDays, Long deleteDays) {
    String jobId = backup.startBackupJob(r -> r.backupVaultName(vault).iamRoleArn(ROLE)
        .resourceArn("arn:aws:backup-gateway:us-east-1:000000000000:vm/" + vm)
        .lifecycle(l -> l.moveToColdStorageAfterDays(coldDays).deleteAfterDays(deleteDays))).backupJobId();
    RecoveryPoint p = await(store.completeBackup("000000000000", jobId, 4096L, Map.of("vmName", vm), Instant.now()));
    return p.arn();
  }

  @Test
  void completedJobRegistersARecoveryPointWithItsCalculatedLifecycle() {
    String vault = vault();
    String arn = backedUp(vault, "vm-a", 30L, 120L);
    DescribeRecoveryPointResponse p = backup.describeRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(arn));
    assertEquals(RecoveryPointStatus.COMPLETED, p.status());
    assertEquals(StorageClass.WARM, p.storageClass());
    assertEquals(4096L, p.backupSizeInBytes());
    assertEquals("VirtualMachine", p.resourceType());
    assertEquals(Duration.ofDays(30), Duration.between(p.creationDate(), p.calculatedLifecycle().moveToColdStorageAt()));
    assertEquals(Duration.ofDays(120), Duration.between(p.creationDate(), p.calculatedLifecycle().deleteAt()));
    assertEquals(1L, backup.describeBackupVault(r -> r.backupVaultName(vault)).numberOfRecoveryPoints());

    var jobs = backup.listBackupJobs(r -> r.byBackupVaultName(vault)).backupJobs();
    assertEquals(BackupJobState.COMPLETED, jobs.get(0).state());
    assertEquals(Map.of("vmName", "vm-a"),
        backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName(vault).recoveryPointArn(arn)).restoreMetadata());
  }

  @Test
  void pointsAreListedByVaultAndByResourceWithPaging() {
    String vault = vault();
    String vm = unique("vm");
    for (int i = 0; i < 3; i++) backedUp(vault, vm, null, 35L);
    backedUp(vault, "other-" + vm, null, 35L);
    List<String> seen = new java.util.ArrayList<>();
    String token = null;
    do {
      String t = token;
      var page = backup.listRecoveryPointsByBackupVault(r -> r.backupVaultName(vault).maxResults(3).nextToken(t));
      page.recoveryPoints().stream().map(RecoveryPointByBackupVault::recoveryPointArn).forEach(seen::add);
      token = page.nextToken();
    } while (token != null);
    assertEquals(4, seen.size());
    assertEquals(3, backup.listRecoveryPointsByBackupVault(r -> r.backupVaultName(vault)
        .byResourceArn("arn:aws:backup-gateway:us-east-1:000000000000:vm/" + vm)).recoveryPoints().size());
    assertEquals(3, backup.listRecoveryPointsByResource(r -> r
        .resourceArn("arn:aws:backup-gateway:us-east-1:000000000000:vm/" + vm)).recoveryPoints().size());
    assertThrows(ResourceNotFoundException.class, () -> backup.listRecoveryPointsByBackupVault(r -> r.backupVaultName("missing-vault")));
  }

  @Test
  void lifecycleUpdatesFollowTheNinetyDayRuleAndRecomputeDates() {
    String vault = vault();
    String arn = backedUp(vault, "vm-l", null, 35L);
    var updated = backup.updateRecoveryPointLifecycle(r -> r.backupVaultName(vault).recoveryPointArn(arn)
        .lifecycle(l -> l.moveToColdStorageAfterDays(10L).deleteAfterDays(100L)));
    assertEquals(100L, updated.lifecycle().deleteAfterDays());
    DescribeRecoveryPointResponse p = backup.describeRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(arn));
    assertEquals(Duration.ofDays(100), Duration.between(p.creationDate(), p.calculatedLifecycle().deleteAt()));
    assertThrows(InvalidParameterValueException.class, () -> backup.updateRecoveryPointLifecycle(r -> r
        .backupVaultName(vault).recoveryPointArn(arn).lifecycle(l -> l.moveToColdStorageAfterDays(10L).deleteAfterDays(99L))));
  }

  @Test
  void unlockedPointIsDeletedAndThenNotFound() {
    String vault = vault();
    String arn = backedUp(vault, "vm-d", null, 35L);
    backup.deleteRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(arn));
    assertThrows(ResourceNotFoundException.class, () -> backup.describeRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(arn)));
    backup.deleteBackupVault(r -> r.backupVaultName(vault));
  }

  @Test
  void lockedPointCannotBeDeletedBeforeItsRetentionNorGetAShorterOne() {
    String vault = vault();
    backup.putBackupVaultLockConfiguration(r -> r.backupVaultName(vault).minRetentionDays(7L).maxRetentionDays(60L));
    String arn = backedUp(vault, "vm-lock", null, 30L);
    InvalidRequestException e = assertThrows(InvalidRequestException.class,
        () -> backup.deleteRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(arn)));
    assertTrue(e.getMessage().contains("locked"), e.getMessage());
    assertThrows(InvalidParameterValueException.class, () -> backup.updateRecoveryPointLifecycle(r -> r
        .backupVaultName(vault).recoveryPointArn(arn).lifecycle(l -> l.deleteAfterDays(3L))));
    assertThrows(InvalidParameterValueException.class, () -> backup.updateRecoveryPointLifecycle(r -> r
        .backupVaultName(vault).recoveryPointArn(arn).lifecycle(l -> l.deleteAfterDays(61L))));
    assertNotNull(backup.describeRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(arn)));
  }

  @Test
  void jobWhoseRetentionTheLockRefusesFailsWithoutAPoint() {
    String vault = vault();
    String jobId = backup.startBackupJob(r -> r.backupVaultName(vault).iamRoleArn(ROLE)
        .resourceArn("arn:aws:backup-gateway:us-east-1:000000000000:vm/vm-late").lifecycle(l -> l.deleteAfterDays(3L))).backupJobId();
    backup.putBackupVaultLockConfiguration(r -> r.backupVaultName(vault).minRetentionDays(7L));
    assertNull(await(store.completeBackup("000000000000", jobId, 1L, Map.of(), Instant.now())));
    var job = backup.describeBackupJob(r -> r.backupJobId(jobId));
    assertEquals(BackupJobState.FAILED, job.state());
    assertTrue(job.statusMessage().contains("MinRetentionDays"), job.statusMessage());
    assertEquals(0, backup.listRecoveryPointsByBackupVault(r -> r.backupVaultName(vault)).recoveryPoints().size());
  }

  @Test
  void pointUnderALegalHoldCannotBeDeletedUntilTheHoldIsCancelled() {
    String vault = vault();
    String held = backedUp(vault, "vm-held", null, 35L);
    String other = vault();
    String free = backedUp(other, "vm-free", null, 35L);
    var hold = backup.createLegalHold(r -> r.title("litigation").description("case 42")
        .recoveryPointSelection(s -> s.vaultNames(vault)
            .dateRange(d -> d.fromDate(Instant.now().minusSeconds(3600)).toDate(Instant.now().plusSeconds(3600)))));
    assertEquals(LegalHoldStatus.ACTIVE, hold.status());
    assertEquals(List.of(vault), hold.recoveryPointSelection().vaultNames());

    assertEquals(List.of(held), backup.listRecoveryPointsByLegalHold(r -> r.legalHoldId(hold.legalHoldId()))
        .recoveryPoints().stream().map(p -> p.recoveryPointArn()).collect(Collectors.toList()));
    assertThrows(InvalidResourceStateException.class, () -> backup.deleteRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(held)));
    backup.deleteRecoveryPoint(r -> r.backupVaultName(other).recoveryPointArn(free));

    assertTrue(backup.listLegalHolds(r -> { }).legalHolds().stream().anyMatch(h -> h.legalHoldId().equals(hold.legalHoldId())));
    backup.cancelLegalHold(r -> r.legalHoldId(hold.legalHoldId()).cancelDescription("settled").retainRecordInDays(1L));
    var got = backup.getLegalHold(r -> r.legalHoldId(hold.legalHoldId()));
    assertEquals(LegalHoldStatus.CANCELED, got.status());
    assertEquals("settled", got.cancelDescription());
    assertNotNull(got.retainRecordUntil());
    assertThrows(InvalidResourceStateException.class,
        () -> backup.cancelLegalHold(r -> r.legalHoldId(hold.legalHoldId()).cancelDescription("again")));
    backup.deleteRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(held));
  }

  @Test
  void legalHoldWithAnInvertedDateRangeIsInvalidParameterValue() {
    assertThrows(InvalidParameterValueException.class, () -> backup.createLegalHold(r -> r.title("t").description("d")
        .recoveryPointSelection(s -> s.dateRange(d -> d.fromDate(Instant.now()).toDate(Instant.now().minusSeconds(60))))));
    assertThrows(ResourceNotFoundException.class, () -> backup.getLegalHold(r -> r.legalHoldId("missing")));
  }

  @Test
  void aDenyOnDeleteRecoveryPointInTheVaultPolicyStopsDeletion() {
    String vault = vault();
    String arn = backedUp(vault, "vm-pol", null, 35L);
    String policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"*\"},"
        + "\"Action\":[\"backup:DeleteRecoveryPoint\"],\"Resource\":\"*\"}]}";
    backup.putBackupVaultAccessPolicy(r -> r.backupVaultName(vault).policy(policy));
    assertEquals(policy, backup.getBackupVaultAccessPolicy(r -> r.backupVaultName(vault)).policy());
    BackupException e = assertThrows(BackupException.class,
        () -> backup.deleteRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(arn)));
    assertEquals(403, e.statusCode());
    assertEquals("AccessDeniedException", e.awsErrorDetails().errorCode());
    backup.deleteBackupVaultAccessPolicy(r -> r.backupVaultName(vault));
    assertThrows(ResourceNotFoundException.class, () -> backup.getBackupVaultAccessPolicy(r -> r.backupVaultName(vault)));
    backup.deleteRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(arn));
  }

  @Test
  void malformedAccessPolicyIsInvalidParameterValue() {
    String vault = vault();
    assertThrows(InvalidParameterValueException.class, () -> backup.putBackupVaultAccessPolicy(r -> r.backupVaultName(vault).policy("{not json")));
    assertThrows(InvalidParameterValueException.class, () -> backup.putBackupVaultAccessPolicy(r -> r.backupVaultName(vault)
        .policy("{\"Statement\":[{\"Effect\":\"Maybe\",\"Action\":\"*\"}]}")));
  }

  @Test
  void notificationSettingsAreStoredReadAndRemoved() {
    String vault = vault();
    String topic = "arn:aws:sns:us-east-1:000000000000:backup-events";
    backup.putBackupVaultNotifications(r -> r.backupVaultName(vault).snsTopicArn(topic)
        .backupVaultEvents(BackupVaultEvent.BACKUP_JOB_COMPLETED, BackupVaultEvent.RESTORE_JOB_COMPLETED));
    var got = backup.getBackupVaultNotifications(r -> r.backupVaultName(vault));
    assertEquals(topic, got.snsTopicArn());
    assertEquals(List.of(BackupVaultEvent.BACKUP_JOB_COMPLETED, BackupVaultEvent.RESTORE_JOB_COMPLETED), got.backupVaultEvents());
    backup.deleteBackupVaultNotifications(r -> r.backupVaultName(vault));
    assertThrows(ResourceNotFoundException.class, () -> backup.getBackupVaultNotifications(r -> r.backupVaultName(vault)));
    assertThrows(InvalidParameterValueException.class, () -> backup.putBackupVaultNotifications(r -> r.backupVaultName(vault)
        .snsTopicArn(topic).backupVaultEventsWithStrings("NOT_AN_EVENT")));
  }

  @Test
  void recoveryPointsAndHoldsCanBeTagged() {
    String vault = vault();
    String arn = backedUp(vault, "vm-tag", null, 35L);
    backup.tagResource(r -> r.resourceArn(arn).tags(Map.of("case", "42")));
    assertEquals(Map.of("case", "42"), backup.listTags(r -> r.resourceArn(arn)).tags());
    var hold = backup.createLegalHold(r -> r.title("t").description("d").tags(Map.of("k", "v"))
        .recoveryPointSelection(s -> s.vaultNames(vault)));
    assertEquals(Map.of("k", "v"), backup.listTags(r -> r.resourceArn(hold.legalHoldArn())).tags());
    backup.cancelLegalHold(r -> r.legalHoldId(hold.legalHoldId()).cancelDescription("done"));
  }

  @Test
  void backedUpResourcesAreListedAsProtectedWithTheirLatestPoint() {
    String vault = vault();
    String vm = unique("vm-prot");
    String resource = "arn:aws:backup-gateway:us-east-1:000000000000:vm/" + vm;
    backedUp(vault, vm, null, 35L);
    backedUp(vault, vm, null, 35L);
    var described = backup.describeProtectedResource(r -> r.resourceArn(resource));
    assertEquals("VirtualMachine", described.resourceType());
    assertTrue(described.lastBackupTime().isAfter(Instant.now().minusSeconds(60)));
    boolean listed = false;
    String token = null;
    do {
      String t = token;
      var page = backup.listProtectedResources(r -> r.maxResults(2).nextToken(t));
      listed |= page.results().stream().anyMatch(p -> p.resourceArn().equals(resource));
      token = page.nextToken();
    } while (token != null);
    assertTrue(listed);
    assertThrows(ResourceNotFoundException.class, () -> backup.describeProtectedResource(r -> r.resourceArn(resource + "-none")));
  }
}
