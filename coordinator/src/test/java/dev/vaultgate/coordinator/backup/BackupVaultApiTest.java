package dev.vaultgate.coordinator.backup;

import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.AlreadyExistsException;
import software.amazon.awssdk.services.backup.model.BackupException;
import software.amazon.awssdk.services.backup.model.BackupVaultListMember;
import software.amazon.awssdk.services.backup.model.CreateBackupVaultResponse;
import software.amazon.awssdk.services.backup.model.DescribeBackupVaultResponse;
import software.amazon.awssdk.services.backup.model.InvalidParameterValueException;
import software.amazon.awssdk.services.backup.model.InvalidRequestException;
import software.amazon.awssdk.services.backup.model.ListBackupVaultsResponse;
import software.amazon.awssdk.services.backup.model.ResourceNotFoundException;

/** Vaults, their tags and their lock, through the real SDK v2 sync client. */
class BackupVaultApiTest {

  static TestCoordinator env;
  static BackupClient backup;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    backup = env.client();
  }

  @Test
  void createdVaultIsDescribedWithItsArnAndCreationDate() {
    String name = unique("vault");
    Instant before = Instant.now().minusSeconds(1);
    CreateBackupVaultResponse created = backup.createBackupVault(r -> r.backupVaultName(name));
    assertEquals("arn:aws:backup:us-east-1:000000000000:backup-vault:" + name, created.backupVaultArn());
    assertTrue(created.creationDate().isAfter(before));

    DescribeBackupVaultResponse d = backup.describeBackupVault(r -> r.backupVaultName(name));
    assertEquals(name, d.backupVaultName());
    assertEquals(created.backupVaultArn(), d.backupVaultArn());
    assertEquals(created.creationDate(), d.creationDate());
    assertEquals(0L, d.numberOfRecoveryPoints());
    assertFalse(d.locked());
  }

  @Test
  void creatingAVaultTwiceIsAlreadyExists() {
    String name = unique("dup");
    backup.createBackupVault(r -> r.backupVaultName(name));
    AlreadyExistsException e = assertThrows(AlreadyExistsException.class,
        () -> backup.createBackupVault(r -> r.backupVaultName(name)));
    assertEquals(400, e.statusCode());
    assertEquals("AlreadyExistsException", e.awsErrorDetails().errorCode());
  }

  @Test
  void retriedCreateWithTheSameCreatorRequestIdSucceeds() {
    String name = unique("idem");
    CreateBackupVaultResponse first = backup.createBackupVault(r -> r.backupVaultName(name).creatorRequestId("req-1"));
    CreateBackupVaultResponse again = backup.createBackupVault(r -> r.backupVaultName(name).creatorRequestId("req-1"));
    assertEquals(first.backupVaultArn(), again.backupVaultArn());
  }

  @Test
  void unknownVaultIsResourceNotFoundWithStatus400() {
    ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class,
        () -> backup.describeBackupVault(r -> r.backupVaultName("no-such-vault")));
    assertEquals(400, e.statusCode());
    assertTrue(e.getMessage().contains("no-such-vault"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "has space", "dots.not.allowed", "../etc", "a/../b", "x%2Fy", "vault?x=1", "ünïcode"})
  void vaultNamesOutsideTheModelPatternAreInvalidParameterValue(String name) {
    InvalidParameterValueException e = assertThrows(InvalidParameterValueException.class,
        () -> backup.createBackupVault(r -> r.backupVaultName(name)));
    assertEquals(400, e.statusCode());
  }

  @ParameterizedTest
  @ValueSource(strings = {"../etc", "a/../b", "x%2Fy"})
  void describeWithAPathTrickNameIsInvalidParameterValue(String name) {
    BackupException e = assertThrows(BackupException.class, () -> backup.describeBackupVault(r -> r.backupVaultName(name)));
    assertEquals(400, e.statusCode());
    assertEquals("InvalidParameterValueException", e.awsErrorDetails().errorCode());
  }

  @Test
  void listingPagesThroughEveryVaultWithNextToken() {
    List<String> mine = new ArrayList<>();
    String prefix = unique("page");
    for (int i = 0; i < 5; i++) {
      String name = prefix + "-" + i;
      backup.createBackupVault(r -> r.backupVaultName(name));
      mine.add(name);
    }
    List<String> seen = new ArrayList<>();
    String token = null;
    int pages = 0;
    do {
      String t = token;
      ListBackupVaultsResponse page = backup.listBackupVaults(r -> r.maxResults(2).nextToken(t));
      assertTrue(page.backupVaultList().size() <= 2);
      page.backupVaultList().stream().map(BackupVaultListMember::backupVaultName).forEach(seen::add);
      token = page.nextToken();
      pages++;
    } while (token != null && pages < 1000);
    assertTrue(seen.containsAll(mine), "all five vaults are listed across pages");
    assertEquals(seen.size(), seen.stream().distinct().count(), "no vault is listed twice");
  }

  @Test
  void maxResultsOutsideTheModelRangeIsInvalidParameterValue() {
    assertThrows(InvalidParameterValueException.class, () -> backup.listBackupVaults(r -> r.maxResults(0)));
    assertThrows(InvalidParameterValueException.class, () -> backup.listBackupVaults(r -> r.maxResults(1001)));
  }

  @Test
  void deletedVaultIsGone() {
    String name = unique("del");
    backup.createBackupVault(r -> r.backupVaultName(name));
    backup.deleteBackupVault(r -> r.backupVaultName(name));
    assertThrows(ResourceNotFoundException.class, () -> backup.describeBackupVault(r -> r.backupVaultName(name)));
    assertThrows(ResourceNotFoundException.class, () -> backup.deleteBackupVault(r -> r.backupVaultName(name)));
  }

  @Test
  void vaultHoldingARecoveryPointCannotBeDeleted() {
    String name = unique("full");
    backup.createBackupVault(r -> r.backupVaultName(name));
    TestCoordinator.await(env.coordinator.pool().preparedQuery(
            "INSERT INTO recovery_points (recovery_point_arn, account_id, vault_name, resource_arn, resource_type,"
                + " status, created_at) VALUES ($1, '000000000000', $2, 'arn:aws:backup-gateway:us-east-1:000000000000:vm/vm-1',"
                + " 'VirtualMachine', 'COMPLETED', now())")
        .execute(Tuple.of("arn:aws:backup:us-east-1:000000000000:recovery-point:" + name, name)));
    InvalidRequestException e = assertThrows(InvalidRequestException.class,
        () -> backup.deleteBackupVault(r -> r.backupVaultName(name)));
    assertTrue(e.getMessage().contains("recovery points"), e.getMessage());
    assertEquals(1L, backup.describeBackupVault(r -> r.backupVaultName(name)).numberOfRecoveryPoints());
  }

  @Test
  void tagsGivenAtCreationAndByTagResourceAreListedAndRemovable() {
    String name = unique("tagged");
    String arn = backup.createBackupVault(r -> r.backupVaultName(name).backupVaultTags(Map.of("team", "storage")))
        .backupVaultArn();
    backup.tagResource(r -> r.resourceArn(arn).tags(Map.of("env", "prod", "team", "infra")));
    assertEquals(Map.of("env", "prod", "team", "infra"), backup.listTags(r -> r.resourceArn(arn)).tags());
    backup.untagResource(r -> r.resourceArn(arn).tagKeyList("team"));
    assertEquals(Map.of("env", "prod"), backup.listTags(r -> r.resourceArn(arn)).tags());
  }

  @Test
  void taggingAnUnknownResourceIsResourceNotFound() {
    assertThrows(ResourceNotFoundException.class, () -> backup.tagResource(r -> r
        .resourceArn("arn:aws:backup:us-east-1:000000000000:backup-vault:missing-vault").tags(Map.of("a", "b"))));
    assertThrows(ResourceNotFoundException.class, () -> backup.listTags(r -> r.resourceArn("not-an-arn")));
  }

  @Test
  void reservedTagKeysAreRefused() {
    String arn = backup.createBackupVault(r -> r.backupVaultName(unique("reserved"))).backupVaultArn();
    assertThrows(InvalidParameterValueException.class,
        () -> backup.tagResource(r -> r.resourceArn(arn).tags(Map.of("aws:owner", "x"))));
  }

  @Test
  void governanceLockIsShownAndCanBeRemoved() {
    String name = unique("gov");
    backup.createBackupVault(r -> r.backupVaultName(name));
    backup.putBackupVaultLockConfiguration(r -> r.backupVaultName(name).minRetentionDays(7L).maxRetentionDays(30L));
    DescribeBackupVaultResponse d = backup.describeBackupVault(r -> r.backupVaultName(name));
    assertTrue(d.locked());
    assertEquals(7L, d.minRetentionDays());
    assertEquals(30L, d.maxRetentionDays());
    assertNull(d.lockDate());
    backup.deleteBackupVaultLockConfiguration(r -> r.backupVaultName(name));
    assertFalse(backup.describeBackupVault(r -> r.backupVaultName(name)).locked());
  }

  @Test
  void complianceLockHasALockDateChangeableForDaysAhead() {
    String name = unique("comp");
    backup.createBackupVault(r -> r.backupVaultName(name));
    Instant before = Instant.now();
    backup.putBackupVaultLockConfiguration(r -> r.backupVaultName(name).minRetentionDays(1L).changeableForDays(3L));
    Instant lockDate = backup.describeBackupVault(r -> r.backupVaultName(name)).lockDate();
    assertNotNull(lockDate);
    assertTrue(lockDate.isAfter(before.plusSeconds(3 * 86400 - 5)));
  }

  @Test
  void complianceLockPastItsLockDateCanNeitherBeChangedNorDeleted() {
    String name = unique("sealed");
    backup.createBackupVault(r -> r.backupVaultName(name));
    backup.putBackupVaultLockConfiguration(r -> r.backupVaultName(name).minRetentionDays(1L).changeableForDays(3L));
    TestCoordinator.await(env.coordinator.pool()
        .preparedQuery("UPDATE backup_vaults SET lock_changeable_until = $2 WHERE name = $1")
        .execute(Tuple.of(name, Instant.now().minusSeconds(60).atOffset(ZoneOffset.UTC))));
    assertThrows(InvalidRequestException.class,
        () -> backup.deleteBackupVaultLockConfiguration(r -> r.backupVaultName(name)));
    assertThrows(InvalidRequestException.class,
        () -> backup.putBackupVaultLockConfiguration(r -> r.backupVaultName(name).minRetentionDays(2L)));
    assertTrue(backup.describeBackupVault(r -> r.backupVaultName(name)).locked());
  }

  @Test
  void lockValuesOutsideAwsRangesAreInvalidParameterValue() {
    String name = unique("badlock");
    backup.createBackupVault(r -> r.backupVaultName(name));
    assertThrows(InvalidParameterValueException.class,
        () -> backup.putBackupVaultLockConfiguration(r -> r.backupVaultName(name).changeableForDays(2L)));
    assertThrows(InvalidParameterValueException.class,
        () -> backup.putBackupVaultLockConfiguration(r -> r.backupVaultName(name).minRetentionDays(30L).maxRetentionDays(7L)));
    assertThrows(ResourceNotFoundException.class,
        () -> backup.putBackupVaultLockConfiguration(r -> r.backupVaultName("missing-vault").minRetentionDays(1L)));
  }
}
