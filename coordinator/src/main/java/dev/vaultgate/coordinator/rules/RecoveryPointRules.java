package dev.vaultgate.coordinator.rules;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * When a recovery point may be deleted or its lifecycle changed: a point under an active legal
 * hold cannot be deleted; a point in a locked vault cannot be deleted before its retention has
 * passed, and its retention stays within the lock's range; once in cold storage its
 * transition day cannot change.
 */
public final class RecoveryPointRules {

  private RecoveryPointRules() {}

  /**
   * Refuses deleting a point held by one of {@code holds}, or in a locked vault before
   * {@code deleteAt} (a point kept forever in a locked vault is never deletable by hand), nor
   * before the lock's MinRetentionDays after its creation, whatever its own lifecycle says.
   */
  public static void checkDeletable(
      String vaultName, String resourceArn, Instant createdAt, Instant deleteAt, VaultLock lock,
      List<LegalHoldScope> holds, Instant now) {
    for (LegalHoldScope hold : holds) {
      if (hold.matches(vaultName, resourceArn, createdAt)) {
        throw new RuleViolation("The recovery point is under an active legal hold and cannot be deleted",
            RuleViolation.Kind.HELD);
      }
    }
    if (lock != null && (deleteAt == null || now.isBefore(deleteAt))) {
      throw new RuleViolation("The recovery point is in a locked backup vault and cannot be deleted before"
          + " the end of its retention" + (deleteAt == null ? "" : " (" + deleteAt + ")"), RuleViolation.Kind.STATE);
    }
    // a point whose lifecycle predates the lock (or was shorter) still stays MinRetentionDays
    if (lock != null && lock.minRetentionDays() != null) {
      Instant minimum = createdAt.plus(Duration.ofDays(lock.minRetentionDays()));
      if (now.isBefore(minimum)) {
        throw new RuleViolation("The recovery point is in a backup vault locked with MinRetentionDays "
            + lock.minRetentionDays() + " and cannot be deleted before " + minimum, RuleViolation.Kind.STATE);
      }
    }
  }

  /** Checks a new lifecycle for a point in {@code storageClass}, under the vault's lock (or null). */
  public static void checkLifecycleChange(
      String storageClass, Long currentColdAfterDays, Long newColdAfterDays, Long newDeleteAfterDays, VaultLock lock) {
    LifecycleRules.check("Lifecycle", newColdAfterDays, newDeleteAfterDays);
    if ("COLD".equals(storageClass) && !java.util.Objects.equals(currentColdAfterDays, newColdAfterDays)) {
      throw new RuleViolation("The recovery point is already in cold storage: MoveToColdStorageAfterDays"
          + " cannot change", RuleViolation.Kind.STATE);
    }
    if (lock != null) lock.checkRetention(newDeleteAfterDays);
  }
}
