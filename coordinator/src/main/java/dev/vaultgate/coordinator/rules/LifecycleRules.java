package dev.vaultgate.coordinator.rules;

import java.time.Duration;
import java.time.Instant;

/**
 * Recovery point lifecycle: optional transition to cold storage and deletion, in days after
 * creation. AWS's rule: a point moved to cold storage stays there at least 90 days, so
 * DeleteAfterDays is at least MoveToColdStorageAfterDays + 90.
 */
public final class LifecycleRules {

  public static final long MIN_DAYS_IN_COLD_STORAGE = 90;

  private LifecycleRules() {}

  /** Checks a lifecycle; {@code where} names it in the message (e.g. "Rules[0].Lifecycle"). */
  public static void check(String where, Long moveToColdStorageAfterDays, Long deleteAfterDays) {
    if (moveToColdStorageAfterDays != null && moveToColdStorageAfterDays < 1) {
      throw new RuleViolation(where + ": MoveToColdStorageAfterDays must be at least 1, got " + moveToColdStorageAfterDays);
    }
    if (deleteAfterDays != null && deleteAfterDays < 1) {
      throw new RuleViolation(where + ": DeleteAfterDays must be at least 1, got " + deleteAfterDays);
    }
    if (moveToColdStorageAfterDays != null && deleteAfterDays != null
        && deleteAfterDays < moveToColdStorageAfterDays + MIN_DAYS_IN_COLD_STORAGE) {
      throw new RuleViolation(
          where + ": DeleteAfterDays (" + deleteAfterDays + ") must be at least 90 days more than"
              + " MoveToColdStorageAfterDays (" + moveToColdStorageAfterDays
              + "): a recovery point stays in cold storage for at least 90 days");
    }
  }

  /** When a point created at {@code created} moves to cold storage, or null if never. */
  public static Instant coldAt(Instant created, Long moveToColdStorageAfterDays) {
    return moveToColdStorageAfterDays == null ? null : created.plus(Duration.ofDays(moveToColdStorageAfterDays));
  }

  /** When a point created at {@code created} is deleted, or null if kept forever. */
  public static Instant deleteAt(Instant created, Long deleteAfterDays) {
    return deleteAfterDays == null ? null : created.plus(Duration.ofDays(deleteAfterDays));
  }
}
