package dev.vaultgate.coordinator;

import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupRuleInput;
import software.amazon.awssdk.services.backup.model.ResourceNotFoundException;

/** A key of one account sees nothing of another's vaults, plans, selections, jobs or tags. */
class CrossAccountIsolationTest {

  static TestCoordinator env;
  static BackupClient alice;
  static BackupClient bob;
  static AccessKey aliceKey;
  static AccessKey bobKey;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    aliceKey = env.newAccount();
    bobKey = env.newAccount();
    alice = env.client(aliceKey);
    bob = env.client(bobKey);
  }

  @Test
  void vaultsOfAnotherAccountAreInvisibleAndTheirNamesAreFree() {
    String name = unique("shared-name");
    String aliceArn = alice.createBackupVault(r -> r.backupVaultName(name)).backupVaultArn();
    assertTrue(aliceArn.contains(":" + aliceKey.accountId() + ":"));

    assertThrows(ResourceNotFoundException.class, () -> bob.describeBackupVault(r -> r.backupVaultName(name)));
    assertFalse(bob.listBackupVaults(r -> { }).backupVaultList().stream().anyMatch(v -> v.backupVaultName().equals(name)));
    assertThrows(ResourceNotFoundException.class, () -> bob.deleteBackupVault(r -> r.backupVaultName(name)));
    assertThrows(ResourceNotFoundException.class,
        () -> bob.putBackupVaultLockConfiguration(r -> r.backupVaultName(name).minRetentionDays(1L)));

    String bobArn = bob.createBackupVault(r -> r.backupVaultName(name)).backupVaultArn();
    assertNotEquals(aliceArn, bobArn);
    alice.describeBackupVault(r -> r.backupVaultName(name));
  }

  @Test
  void tagsOfAnotherAccountsResourceCanBeNeitherReadNorWritten() {
    String arn = alice.createBackupVault(r -> r.backupVaultName(unique("tags")).backupVaultTags(Map.of("secret", "x")))
        .backupVaultArn();
    assertThrows(ResourceNotFoundException.class, () -> bob.listTags(r -> r.resourceArn(arn)));
    assertThrows(ResourceNotFoundException.class, () -> bob.tagResource(r -> r.resourceArn(arn).tags(Map.of("a", "b"))));
    assertThrows(ResourceNotFoundException.class, () -> bob.untagResource(r -> r.resourceArn(arn).tagKeyList("secret")));
    assertEquals(Map.of("secret", "x"), alice.listTags(r -> r.resourceArn(arn)).tags());
  }

  @Test
  void plansSelectionsAndJobsOfAnotherAccountAreInvisible() {
    String vault = unique("iso");
    alice.createBackupVault(r -> r.backupVaultName(vault));
    String planId = alice.createBackupPlan(r -> r.backupPlan(p -> p.backupPlanName(unique("iso"))
        .rules(BackupRuleInput.builder().ruleName("r").targetBackupVaultName(vault).build()))).backupPlanId();
    String selectionId = alice.createBackupSelection(r -> r.backupPlanId(planId)
        .backupSelection(s -> s.selectionName("s").iamRoleArn("arn:aws:iam::000000000000:role/r"))).selectionId();
    String jobId = alice.startBackupJob(r -> r.backupVaultName(vault).iamRoleArn("arn:aws:iam::000000000000:role/r")
        .resourceArn("arn:aws:backup-gateway:us-east-1:000000000000:vm/vm-iso")).backupJobId();

    assertThrows(ResourceNotFoundException.class, () -> bob.getBackupPlan(r -> r.backupPlanId(planId)));
    assertThrows(ResourceNotFoundException.class, () -> bob.listBackupPlanVersions(r -> r.backupPlanId(planId)));
    assertThrows(ResourceNotFoundException.class, () -> bob.updateBackupPlan(r -> r.backupPlanId(planId)
        .backupPlan(p -> p.backupPlanName("stolen").rules(BackupRuleInput.builder().ruleName("r").targetBackupVaultName(vault).build()))));
    assertThrows(ResourceNotFoundException.class, () -> bob.deleteBackupPlan(r -> r.backupPlanId(planId)));
    assertFalse(bob.listBackupPlans(r -> { }).backupPlansList().stream().anyMatch(p -> p.backupPlanId().equals(planId)));
    assertThrows(ResourceNotFoundException.class, () -> bob.getBackupSelection(r -> r.backupPlanId(planId).selectionId(selectionId)));
    assertThrows(ResourceNotFoundException.class, () -> bob.listBackupSelections(r -> r.backupPlanId(planId)));
    assertThrows(ResourceNotFoundException.class, () -> bob.deleteBackupSelection(r -> r.backupPlanId(planId).selectionId(selectionId)));
    assertThrows(ResourceNotFoundException.class, () -> bob.describeBackupJob(r -> r.backupJobId(jobId)));
    assertThrows(ResourceNotFoundException.class, () -> bob.stopBackupJob(r -> r.backupJobId(jobId)));
    assertFalse(bob.listBackupJobs(r -> { }).backupJobs().stream().anyMatch(j -> j.backupJobId().equals(jobId)));
    assertThrows(ResourceNotFoundException.class, () -> bob.startBackupJob(r -> r.backupVaultName(vault)
        .iamRoleArn("arn:aws:iam::000000000000:role/r").resourceArn("arn:aws:backup-gateway:us-east-1:000000000000:vm/vm-iso")));

    assertEquals(planId, alice.getBackupPlan(r -> r.backupPlanId(planId)).backupPlanId());
  }
}
