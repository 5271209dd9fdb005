package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A vault's lock, fixed when the vault is created and kept in its MACed settings: every recovery point is
 * retained, in S3 Object Lock mode {@code mode}, for at least {@code minRetention} and at most
 * {@code maxRetention} from when its backup starts. Pure rules, no I/O.
 */
public record RetentionLock(RetentionMode mode, Duration minRetention, Duration maxRetention) {
  public RetentionLock {
    Objects.requireNonNull(mode, "mode");
    if (minRetention.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("the lock's minimum retention must be at least 1 second, not " + minRetention);
    }
    if (maxRetention.compareTo(minRetention) < 0) {
      throw new IllegalArgumentException("the lock's maximum retention (" + maxRetention + ") is shorter than its minimum ("
          + minRetention + ")");
    }
  }

  /**
   * How far a requested date may fall short of the minimum counted from the write and still be raised to it: the
   * time between a job's creation, when its delete date was set, and the write (queued, leased, read).
   */
  static final Duration STARTED_EARLIER = Duration.ofDays(1);

  /**
   * The retention a recovery point started at {@code now} is written with: until {@code requested}, or for the
   * minimum retention when none is requested. A request short of the minimum by at most {@link #STARTED_EARLIER}
   * is raised to it; any other retention outside [min, max] is refused before anything is written.
   *
   * @throws VaultException naming the vault, the requested date and the bound it breaks
   */
  public Retention retentionFor(Instant requested, Instant now, String vaultName) {
    Instant until = requested == null ? now.plus(minRetention) : requested;
    if (until.isAfter(now.plus(maxRetention))) {
      throw new VaultException("cannot retain a recovery point of vault " + vaultName + " until " + until + ": that is "
          + describe(Duration.between(now, until)) + ", longer than the vault lock's maximum retention of "
          + describe(maxRetention));
    }
    Instant floor = now.plus(minRetention);
    if (until.isBefore(floor) && !until.isBefore(floor.minus(STARTED_EARLIER))) {
      // The date was set when the job started (DeleteAfterDays from its creation); the minimum counts from this write.
      until = floor;
    }
    if (until.isBefore(floor)) {
      throw new VaultException("cannot retain a recovery point of vault " + vaultName + " until " + until + ": that is "
          + describe(Duration.between(now, until)) + ", shorter than the vault lock's minimum retention of "
          + describe(minRetention));
    }
    return new Retention(mode, until);
  }

  /** "30 days", "2 hours", "90 seconds": the largest unit that divides the duration, for messages. */
  static String describe(Duration d) {
    if (d.isNegative()) {
      return "in the past";
    }
    long s = d.getSeconds();
    if (s > 0 && s % 86_400 == 0) {
      return s / 86_400 + (s == 86_400 ? " day" : " days");
    }
    if (s > 0 && s % 3600 == 0) {
      return s / 3600 + (s == 3600 ? " hour" : " hours");
    }
    return s + (s == 1 ? " second" : " seconds");
  }

  @Override
  public String toString() {
    return mode + " lock, retention " + describe(minRetention) + " to " + describe(maxRetention);
  }
}
