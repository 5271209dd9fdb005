package dev.vaultgate.coordinator.rules;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Deleting and re-timing recovery points under locks, legal holds and vault policies. */
class RecoveryPointRulesTest {

  static final Instant CREATED = Instant.parse("2025-01-01T00:00:00Z");
  static final String VM = "arn:aws:backup-gateway:us-east-1:000000000000:vm/vm-1";
  static final String POINT = "arn:aws:backup:us-east-1:000000000000:recovery-point:p1";

  @Test
  void legalHoldScopeMatchesByVaultResourceAndDate() {
    LegalHoldScope all = new LegalHoldScope(null, null, null, null);
    assertTrue(all.matches("v", VM, CREATED));
    LegalHoldScope scoped = new LegalHoldScope(List.of("v"), List.of(VM), CREATED.minusSeconds(1), CREATED.plusSeconds(1));
    assertTrue(scoped.matches("v", VM, CREATED));
    assertFalse(scoped.matches("w", VM, CREATED));
    assertFalse(scoped.matches("v", VM + "x", CREATED));
    assertFalse(scoped.matches("v", VM, CREATED.plusSeconds(2)));
    assertThrows(RuleViolation.class, () -> new LegalHoldScope(null, null, CREATED, CREATED.minusSeconds(1)));
  }

  @Test
  void heldPointCannotBeDeletedEvenWithoutALock() {
    RuleViolation v = assertThrows(RuleViolation.class, () -> RecoveryPointRules.checkDeletable("v", VM, CREATED, null, null,
        List.of(new LegalHoldScope(List.of("v"), null, null, null)), CREATED.plus(Duration.ofDays(1))));
    assertEquals(RuleViolation.Kind.HELD, v.kind());
    assertDoesNotThrow(() -> RecoveryPointRules.checkDeletable("v", VM, CREATED, null, null,
        List.of(new LegalHoldScope(List.of("other"), null, null, null)), CREATED));
  }

  @Test
  void lockedPointIsDeletableOnlyOnceItsRetentionHasPassed() {
    VaultLock lock = new VaultLock(7L, null, null);
    Instant deleteAt = CREATED.plus(Duration.ofDays(30));
    assertThrows(RuleViolation.class, () -> RecoveryPointRules.checkDeletable("v", VM, CREATED, deleteAt, lock, List.of(), deleteAt.minusSeconds(1)));
    assertDoesNotThrow(() -> RecoveryPointRules.checkDeletable("v", VM, CREATED, deleteAt, lock, List.of(), deleteAt));
    assertThrows(RuleViolation.class, () -> RecoveryPointRules.checkDeletable("v", VM, CREATED, null, lock, List.of(), deleteAt),
        "kept forever in a locked vault");
  }

  @Test
  void aLockedPointStaysMinRetentionDaysEvenWhenItsOwnLifecycleIsShorter() {
    VaultLock compliance = new VaultLock(30L, null, CREATED.plus(Duration.ofDays(3)));
    Instant deleteAt = CREATED.plus(Duration.ofDays(7));
    Instant minimum = CREATED.plus(Duration.ofDays(30));
    RuleViolation v = assertThrows(RuleViolation.class,
        () -> RecoveryPointRules.checkDeletable("v", VM, CREATED, deleteAt, compliance, List.of(), deleteAt.plusSeconds(1)));
    assertTrue(v.getMessage().contains("MinRetentionDays 30"), v.getMessage());
    assertThrows(RuleViolation.class,
        () -> RecoveryPointRules.checkDeletable("v", VM, CREATED, deleteAt, compliance, List.of(), minimum.minusSeconds(1)));
    assertDoesNotThrow(() -> RecoveryPointRules.checkDeletable("v", VM, CREATED, deleteAt, compliance, List.of(), minimum));
  }

  @Test
  void coldTransitionIsFixedOnceInColdStorage() {
    assertDoesNotThrow(() -> RecoveryPointRules.checkLifecycleChange("COLD", 10L, 10L, 200L, null));
    RuleViolation v = assertThrows(RuleViolation.class, () -> RecoveryPointRules.checkLifecycleChange("COLD", 10L, 20L, 200L, null));
    assertEquals(RuleViolation.Kind.STATE, v.kind());
    assertDoesNotThrow(() -> RecoveryPointRules.checkLifecycleChange("WARM", 10L, 20L, 200L, null));
  }

  @Test
  void vaultPolicyDenyStopsTheNamedActionForTheNamedPrincipals() {
    VaultAccessPolicy everyone = VaultAccessPolicy.of(Map.of("Statement", List.of(Map.of(
        "Effect", "Deny", "Principal", "*", "Action", "backup:Delete*", "Resource", "*"))));
    assertTrue(everyone.denies("backup:DeleteRecoveryPoint", "111111111111", POINT));
    assertFalse(everyone.denies("backup:DescribeRecoveryPoint", "111111111111", POINT));

    VaultAccessPolicy oneAccount = VaultAccessPolicy.of(Map.of("Statement", Map.of(
        "Effect", "Deny", "Principal", Map.of("AWS", List.of("arn:aws:iam::111111111111:root")),
        "Action", List.of("backup:DeleteRecoveryPoint"), "Resource", POINT)));
    assertTrue(oneAccount.denies("backup:DeleteRecoveryPoint", "111111111111", POINT));
    assertFalse(oneAccount.denies("backup:DeleteRecoveryPoint", "222222222222", POINT));
    assertFalse(oneAccount.denies("backup:DeleteRecoveryPoint", "111111111111", POINT + "x"));

    VaultAccessPolicy allowOnly = VaultAccessPolicy.of(Map.of("Statement", List.of(Map.of(
        "Effect", "Allow", "Principal", "*", "Action", "backup:*"))));
    assertFalse(allowOnly.denies("backup:DeleteRecoveryPoint", "111111111111", POINT));
  }

  @Test
  void malformedPoliciesAreViolations() {
    assertThrows(RuleViolation.class, () -> VaultAccessPolicy.of(Map.of()));
    assertThrows(RuleViolation.class, () -> VaultAccessPolicy.of(Map.of("Statement", List.of("x"))));
    assertThrows(RuleViolation.class, () -> VaultAccessPolicy.of(Map.of("Statement", List.of(Map.of("Effect", "Perhaps", "Action", "*")))));
    assertThrows(RuleViolation.class, () -> VaultAccessPolicy.of(Map.of("Statement", List.of(Map.of("Effect", "Deny")))));
  }
}
