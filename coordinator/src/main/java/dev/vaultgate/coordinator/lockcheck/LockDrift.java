package dev.vaultgate.coordinator.lockcheck;

import dev.vaultgate.vault.storage.ObjectLockState;
import dev.vaultgate.vault.storage.Retention;
import java.time.Duration;
import java.time.Instant;

/** Whether one object's Object Lock state holds a recovery point as long as the database says. Pure rules. */
public final class LockDrift {
  /**
   * How far the storage's retain-until may fall short of the database's delete date: the gateway computes it when
   * the job is leased, the database when it completes, so a long backup makes the two differ by its duration.
   */
  static final Duration TOLERANCE = Duration.ofDays(1);

  private LockDrift() {}

  /**
   * Why {@code key} does not hold the point until {@code deleteAt}, or null when it does (or when the database sets
   * no delete date: the lock's minimum, enforced by the scheduler, is then all the storage promises).
   *
   * @param heldInStorage whether the database says a legal hold has been put on the point's objects in storage. Only
   *     a missing hold is a finding: an object the point shares with a held point is rightly held without it.
   * @param state the object's lock state, or null when the object is missing from the storage
   */
  public static String compare(String key, Instant deleteAt, boolean heldInStorage, ObjectLockState state) {
    if (state == null) {
      return key + " is missing from the vault's storage";
    }
    if (heldInStorage && !state.legalHold()) {
      return key + " has no S3 legal hold, but the database says a legal hold holds the point";
    }
    if (deleteAt == null) {
      return null;
    }
    if (state.retention().isEmpty()) {
      return key + " has no Object Lock retention, but the database keeps the point until " + deleteAt;
    }
    Retention r = state.retention().get();
    if (r.retainUntil().plus(TOLERANCE).isBefore(deleteAt)) {
      return key + " is retained in storage (" + r.mode() + ") only until " + r.retainUntil()
          + ", but the database keeps the point until " + deleteAt;
    }
    return null;
  }
}
