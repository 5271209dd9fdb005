package dev.vaultgate.vault.storage;

import java.time.Instant;
import java.util.Objects;

/** An Object Lock retention: the object version cannot be deleted or changed before {@code retainUntil}. */
public record Retention(RetentionMode mode, Instant retainUntil) {
  public Retention {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(retainUntil, "retainUntil");
  }

  /** True when this retention protects at least as long and as strictly as {@code other}. */
  public boolean covers(Retention other) {
    return !retainUntil.isBefore(other.retainUntil) && (mode == RetentionMode.COMPLIANCE || other.mode == mode);
  }

  /** The least retention that covers both: the later date, COMPLIANCE if either is. */
  public Retention union(Retention other) {
    RetentionMode strictest = mode == RetentionMode.COMPLIANCE || other.mode == RetentionMode.COMPLIANCE
        ? RetentionMode.COMPLIANCE : RetentionMode.GOVERNANCE;
    return new Retention(strictest, retainUntil.isAfter(other.retainUntil) ? retainUntil : other.retainUntil);
  }

  /** True while the retention still protects the object at {@code now}. */
  public boolean activeAt(Instant now) {
    return retainUntil.isAfter(now);
  }

  @Override
  public String toString() {
    return mode + " until " + retainUntil;
  }
}
