package dev.vaultgate.coordinator.rules;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lifecycle, rule windows, copy actions and vault lock as plain rules. */
class BackupRulesTest {

  static final Instant NOW = Instant.parse("2025-06-01T00:00:00Z");

  static BackupRuleSpec rule(String name, Long start, Long cold, Long delete) {
    return new BackupRuleSpec(name, "cron(0 5 ? * * *)", null, start, null, cold, delete, List.of());
  }

  @Test
  void deleteAfterDaysIsAtLeastNinetyDaysAfterColdStorage() {
    assertDoesNotThrow(() -> LifecycleRules.check("L", 30L, 120L));
    RuleViolation v = assertThrows(RuleViolation.class, () -> LifecycleRules.check("L", 30L, 119L));
    assertTrue(v.getMessage().contains("90 days"));
    assertDoesNotThrow(() -> LifecycleRules.check("L", null, 1L));
    assertDoesNotThrow(() -> LifecycleRules.check("L", 10L, null));
    assertThrows(RuleViolation.class, () -> LifecycleRules.check("L", 0L, null));
    assertThrows(RuleViolation.class, () -> LifecycleRules.check("L", null, 0L));
  }

  @Test
  void lifecycleDatesCountDaysFromCreation() {
    assertEquals(NOW.plus(Duration.ofDays(30)), LifecycleRules.coldAt(NOW, 30L));
    assertEquals(NOW.plus(Duration.ofDays(120)), LifecycleRules.deleteAt(NOW, 120L));
    assertNull(LifecycleRules.deleteAt(NOW, null));
  }

  @Test
  void startWindowIsAtLeastSixtyMinutes() {
    assertDoesNotThrow(() -> rule("r", 60L, null, null).check("Rules[0]"));
    RuleViolation v = assertThrows(RuleViolation.class, () -> rule("r", 59L, null, null).check("Rules[0]"));
    assertTrue(v.getMessage().startsWith("Rules[0]: StartWindowMinutes"), v.getMessage());
  }

  @Test
  void aPlanHasRulesWithUniqueNames() {
    assertThrows(RuleViolation.class, () -> BackupRuleSpec.checkPlan(List.of()));
    assertThrows(RuleViolation.class, () -> BackupRuleSpec.checkPlan(List.of(rule("a", null, null, null), rule("a", null, null, null))));
    assertDoesNotThrow(() -> BackupRuleSpec.checkPlan(List.of(rule("a", null, null, null), rule("b", null, null, null))));
  }

  @Test
  void copyActionsNameABackupVaultArnAndFollowTheLifecycleRule() {
    BackupRuleSpec ok = new BackupRuleSpec("r", null, null, null, null, null, null, List.of(
        new BackupRuleSpec.CopyActionSpec("arn:aws:backup:eu-west-1:123456789012:backup-vault:dr", 10L, 100L)));
    assertDoesNotThrow(() -> ok.check("R"));
    BackupRuleSpec notVault = new BackupRuleSpec("r", null, null, null, null, null, null, List.of(
        new BackupRuleSpec.CopyActionSpec("arn:aws:s3:::bucket", null, null)));
    assertThrows(RuleViolation.class, () -> notVault.check("R"));
    BackupRuleSpec tooSoon = new BackupRuleSpec("r", null, null, null, null, null, null, List.of(
        new BackupRuleSpec.CopyActionSpec("arn:aws:backup:eu-west-1:123456789012:backup-vault:dr", 10L, 99L)));
    assertThrows(RuleViolation.class, () -> tooSoon.check("R"));
  }

  @Test
  void governanceLockCanAlwaysBeChangedAndRemoved() {
    VaultLock lock = VaultLock.configure(null, 7L, 30L, null, NOW);
    assertEquals(false, lock.isCompliance());
    VaultLock changed = VaultLock.configure(lock, 1L, 10L, null, NOW.plus(Duration.ofDays(400)));
    assertEquals(10L, changed.maxRetentionDays());
    assertDoesNotThrow(() -> changed.checkDeletable(NOW.plus(Duration.ofDays(1000))));
  }

  @Test
  void complianceLockIsChangeableUntilItsLockDateThenImmutable() {
    VaultLock lock = VaultLock.configure(null, 7L, 30L, 3L, NOW);
    assertEquals(NOW.plus(Duration.ofDays(3)), lock.lockDate());
    Instant before = NOW.plus(Duration.ofDays(2));
    Instant after = NOW.plus(Duration.ofDays(3));
    assertDoesNotThrow(() -> lock.checkDeletable(before));
    assertDoesNotThrow(() -> VaultLock.configure(lock, 1L, 30L, 3L, before));
    RuleViolation v = assertThrows(RuleViolation.class, () -> lock.checkDeletable(after));
    assertEquals(RuleViolation.Kind.STATE, v.kind());
    assertThrows(RuleViolation.class, () -> VaultLock.configure(lock, 1L, 30L, null, after));
  }

  @Test
  void lockValuesFollowAwsRanges() {
    assertThrows(RuleViolation.class, () -> VaultLock.configure(null, 7L, 30L, 2L, NOW));
    assertThrows(RuleViolation.class, () -> VaultLock.configure(null, 31L, 30L, null, NOW));
    assertThrows(RuleViolation.class, () -> VaultLock.configure(null, 0L, null, null, NOW));
    assertThrows(RuleViolation.class, () -> VaultLock.configure(null, null, 36501L, null, NOW));
  }

  @Test
  void retentionMustFallWithinTheLockRange() {
    VaultLock lock = new VaultLock(7L, 30L, null);
    assertDoesNotThrow(() -> lock.checkRetention(7L));
    assertDoesNotThrow(() -> lock.checkRetention(30L));
    assertThrows(RuleViolation.class, () -> lock.checkRetention(6L));
    assertThrows(RuleViolation.class, () -> lock.checkRetention(31L));
    assertThrows(RuleViolation.class, () -> lock.checkRetention(null), "kept forever exceeds a maximum");
    assertDoesNotThrow(() -> new VaultLock(7L, null, null).checkRetention(null));
  }
}
