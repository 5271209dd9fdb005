package dev.vaultgate.coordinator.backup;

import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.testing.TestCoordinator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupJob;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.DescribeBackupJobResponse;
import software.amazon.awssdk.services.backup.model.InvalidParameterValueException;
import software.amazon.awssdk.services.backup.model.InvalidRequestException;
import software.amazon.awssdk.services.backup.model.ListBackupJobsResponse;
import software.amazon.awssdk.services.backup.model.ResourceNotFoundException;
import software.amazon.awssdk.services.backup.model.StartBackupJobResponse;

/** On-demand backup jobs through the real SDK v2 sync client. */
class BackupJobApiTest {

  static final String ROLE = "arn:aws:iam::000000000000:role/backup";
  static TestCoordinator env;
  static BackupClient backup;
  static String vault;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    backup = env.client();
    vault = unique("jobs");
    backup.createBackupVault(r -> r.backupVaultName(vault));
  }

  static String vm(String id) {
    return "arn:aws:backup-gateway:us-east-1:000000000000:vm/" + id;
  }

  @Test
  void startedJobIsCreatedAndDescribed() {
    Instant before = Instant.now().minusSeconds(1);
    StartBackupJobResponse started = backup.startBackupJob(r -> r.backupVaultName(vault).resourceArn(vm("vm-1"))
        .iamRoleArn(ROLE).startWindowMinutes(60L).lifecycle(l -> l.deleteAfterDays(7L)));
    assertNotNull(started.backupJobId());
    assertTrue(started.recoveryPointArn().startsWith("arn:aws:backup:us-east-1:000000000000:recovery-point:"));

    DescribeBackupJobResponse d = backup.describeBackupJob(r -> r.backupJobId(started.backupJobId()));
    assertEquals(BackupJobState.CREATED, d.state());
    assertEquals("VirtualMachine", d.resourceType());
    assertEquals(vault, d.backupVaultName());
    assertEquals("000000000000", d.accountId());
    assertTrue(d.creationDate().isAfter(before));
    assertEquals(Duration.ofMinutes(60), Duration.between(d.creationDate(), d.startBy()));
  }

  @Test
  void theSameIdempotencyTokenStartsOneJob() {
    StartBackupJobResponse a = backup.startBackupJob(r -> r.backupVaultName(vault).resourceArn(vm("vm-idem"))
        .iamRoleArn(ROLE).idempotencyToken("token-" + vault));
    StartBackupJobResponse b = backup.startBackupJob(r -> r.backupVaultName(vault).resourceArn(vm("vm-idem"))
        .iamRoleArn(ROLE).idempotencyToken("token-" + vault));
    assertEquals(a.backupJobId(), b.backupJobId());
  }

  @Test
  void jobForAnUnknownVaultIsResourceNotFound() {
    assertThrows(ResourceNotFoundException.class, () -> backup.startBackupJob(r -> r
        .backupVaultName("missing-vault").resourceArn(vm("vm-1")).iamRoleArn(ROLE)));
    assertThrows(ResourceNotFoundException.class, () -> backup.describeBackupJob(r -> r.backupJobId("nope")));
  }

  @Test
  void jobWindowsAndLifecycleFollowAwsRules() {
    assertThrows(InvalidParameterValueException.class, () -> backup.startBackupJob(r -> r
        .backupVaultName(vault).resourceArn(vm("vm-1")).iamRoleArn(ROLE).startWindowMinutes(30L)));
    assertThrows(InvalidParameterValueException.class, () -> backup.startBackupJob(r -> r
        .backupVaultName(vault).resourceArn(vm("vm-1")).iamRoleArn(ROLE)
        .lifecycle(l -> l.moveToColdStorageAfterDays(10L).deleteAfterDays(50L))));
    assertThrows(InvalidParameterValueException.class, () -> backup.startBackupJob(r -> r
        .backupVaultName(vault).resourceArn("not-an-arn").iamRoleArn(ROLE)));
  }

  @Test
  void retentionOutsideTheVaultLockRangeIsRefused() {
    String locked = unique("locked");
    backup.createBackupVault(r -> r.backupVaultName(locked));
    backup.putBackupVaultLockConfiguration(r -> r.backupVaultName(locked).minRetentionDays(7L).maxRetentionDays(30L));
    InvalidParameterValueException shortRetention = assertThrows(InvalidParameterValueException.class,
        () -> backup.startBackupJob(r -> r.backupVaultName(locked).resourceArn(vm("vm-1")).iamRoleArn(ROLE)
            .lifecycle(l -> l.deleteAfterDays(3L))));
    assertTrue(shortRetention.getMessage().contains("MinRetentionDays"), shortRetention.getMessage());
    assertThrows(InvalidParameterValueException.class, () -> backup.startBackupJob(r -> r
        .backupVaultName(locked).resourceArn(vm("vm-1")).iamRoleArn(ROLE)));
    assertNotNull(backup.startBackupJob(r -> r.backupVaultName(locked).resourceArn(vm("vm-1")).iamRoleArn(ROLE)
        .lifecycle(l -> l.deleteAfterDays(14L))).backupJobId());
  }

  @Test
  void stoppingACreatedJobAbortsItAndASecondStopIsRefused() {
    String id = backup.startBackupJob(r -> r.backupVaultName(vault).resourceArn(vm("vm-stop")).iamRoleArn(ROLE)).backupJobId();
    backup.stopBackupJob(r -> r.backupJobId(id));
    DescribeBackupJobResponse d = backup.describeBackupJob(r -> r.backupJobId(id));
    assertEquals(BackupJobState.ABORTED, d.state());
    assertNotNull(d.completionDate());
    assertThrows(InvalidRequestException.class, () -> backup.stopBackupJob(r -> r.backupJobId(id)));
    assertThrows(ResourceNotFoundException.class, () -> backup.stopBackupJob(r -> r.backupJobId("missing")));
  }

  @Test
  void listingFiltersByVaultStateAndResourceAndPagesNewestFirst() {
    String v = unique("listjobs");
    backup.createBackupVault(r -> r.backupVaultName(v));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String arn = vm("vm-list-" + (i % 2));
      ids.add(backup.startBackupJob(r -> r.backupVaultName(v).resourceArn(arn).iamRoleArn(ROLE)).backupJobId());
    }
    backup.stopBackupJob(r -> r.backupJobId(ids.get(0)));

    List<BackupJob> all = new ArrayList<>();
    String token = null;
    do {
      String t = token;
      ListBackupJobsResponse page = backup.listBackupJobs(r -> r.byBackupVaultName(v).maxResults(2).nextToken(t));
      assertTrue(page.backupJobs().size() <= 2);
      all.addAll(page.backupJobs());
      token = page.nextToken();
    } while (token != null);
    assertEquals(5, all.size());
    Set<String> distinct = new HashSet<>();
    all.forEach(j -> distinct.add(j.backupJobId()));
    assertEquals(new HashSet<>(ids), distinct);
    for (int i = 1; i < all.size(); i++) {
      assertTrue(!all.get(i).creationDate().isAfter(all.get(i - 1).creationDate()), "newest first");
    }

    assertEquals(1, backup.listBackupJobs(r -> r.byBackupVaultName(v).byState(BackupJobState.ABORTED)).backupJobs().size());
    assertEquals(4, backup.listBackupJobs(r -> r.byBackupVaultName(v).byState(BackupJobState.CREATED)).backupJobs().size());
    assertEquals(2, backup.listBackupJobs(r -> r.byBackupVaultName(v).byResourceArn(vm("vm-list-1"))).backupJobs().size());
    assertEquals(5, backup.listBackupJobs(r -> r.byBackupVaultName(v).byResourceType("VirtualMachine")
        .byCreatedAfter(Instant.now().minusSeconds(600))).backupJobs().size());
    assertEquals(0, backup.listBackupJobs(r -> r.byBackupVaultName(v).byCreatedBefore(Instant.now().minusSeconds(600))).backupJobs().size());
    assertEquals(0, backup.listBackupJobs(r -> r.byBackupVaultName(v).byAccountId("111111111111")).backupJobs().size());
  }

  @Test
  void aBadNextTokenIsInvalidParameterValue() {
    assertThrows(InvalidParameterValueException.class, () -> backup.listBackupJobs(r -> r.nextToken("garbage!")));
  }
}
