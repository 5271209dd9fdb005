package dev.vaultgate.vault.storage;

import java.time.Instant;
import java.util.Optional;

/** What Object Lock says about one object: its retention, if any, and whether a legal hold is on. */
public record ObjectLockState(Optional<Retention> retention, boolean legalHold) {
  public static final ObjectLockState NONE = new ObjectLockState(Optional.empty(), false);

  /** True when S3 refuses to delete the object at {@code now}: a hold, or a retention not yet passed. */
  public boolean protectedAt(Instant now) {
    return legalHold || retention.map(r -> r.activeAt(now)).orElse(false);
  }
}
