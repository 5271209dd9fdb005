package dev.vaultgate.coordinator.rules;

import java.time.Duration;
import java.time.Instant;

/**
 * A vault's lock configuration. Governance mode has no lock date: whoever may configure the
 * lock may change or remove it. Compliance mode has a lock date (ChangeableForDays after it
 * was set, at least 3): after it nobody can change or remove the lock.
 */
public record VaultLock(Long minRetentionDays, Long maxRetentionDays, Instant lockDate) {

  public static final long MIN_CHANGEABLE_FOR_DAYS = 3;
  public static final long MAX_DAYS = 36500;

  public boolean isCompliance() {
    return lockDate != null;
  }

  /** True once a compliance lock's grace time has passed. */
  public boolean isImmutable(Instant now) {
    return lockDate != null && !now.isBefore(lockDate);
  }

  /**
   * The lock that {@code PutBackupVaultLockConfiguration} sets, checked against the values'
   * ranges and against the current lock (null when none).
   */
  public static VaultLock configure(
      VaultLock current, Long minRetentionDays, Long maxRetentionDays, Long changeableForDays, Instant now) {
    if (current != null && current.isImmutable(now)) {
      throw new RuleViolation(
          "The vault is locked in compliance mode since " + current.lockDate()
              + ": its lock can no longer be changed", RuleViolation.Kind.STATE);
    }
    checkDays("MinRetentionDays", minRetentionDays, 1);
    checkDays("MaxRetentionDays", maxRetentionDays, 1);
    if (minRetentionDays != null && maxRetentionDays != null && minRetentionDays > maxRetentionDays) {
      throw new RuleViolation("MinRetentionDays (" + minRetentionDays + ") is more than MaxRetentionDays (" + maxRetentionDays + ")");
    }
    Instant lockDate = null;
    if (changeableForDays != null) {
      if (changeableForDays < MIN_CHANGEABLE_FOR_DAYS || changeableForDays > MAX_DAYS) {
        throw new RuleViolation("ChangeableForDays must be between 3 and 36500, got " + changeableForDays);
      }
      lockDate = now.plus(Duration.ofDays(changeableForDays));
    }
    return new VaultLock(minRetentionDays, maxRetentionDays, lockDate);
  }

  /** Refuses removing a compliance lock after its lock date. */
  public void checkDeletable(Instant now) {
    if (isImmutable(now)) {
      throw new RuleViolation(
          "The vault is locked in compliance mode since " + lockDate + ": its lock cannot be deleted",
          RuleViolation.Kind.STATE);
    }
  }

  /** Checks a recovery point's retention (null = kept forever) against the lock's range. */
  public void checkRetention(Long retentionDays) {
    if (minRetentionDays != null && (retentionDays != null && retentionDays < minRetentionDays)) {
      throw new RuleViolation("The retention of " + retentionDays + " days is below the vault lock's MinRetentionDays of " + minRetentionDays);
    }
    if (maxRetentionDays != null && (retentionDays == null || retentionDays > maxRetentionDays)) {
      throw new RuleViolation("The retention of " + (retentionDays == null ? "forever" : retentionDays + " days")
          + " is above the vault lock's MaxRetentionDays of " + maxRetentionDays);
    }
  }

  private static void checkDays(String name, Long days, long min) {
    if (days != null && (days < min || days > MAX_DAYS)) {
      throw new RuleViolation(name + " must be between " + min + " and " + MAX_DAYS + ", got " + days);
    }
  }
}
