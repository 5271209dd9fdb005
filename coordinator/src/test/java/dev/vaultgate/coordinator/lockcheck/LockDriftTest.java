package dev.vaultgate.coordinator.lockcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.vault.storage.ObjectLockState;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When an object's Object Lock state does not hold a recovery point as long as the database says. */
class LockDriftTest {
  private static final Instant DELETE_AT = Instant.parse("2026-03-01T00:00:00Z");

  private static ObjectLockState retained(Instant until) {
    return new ObjectLockState(Optional.of(new Retention(RetentionMode.COMPLIANCE, until)), false);
  }

  @Test
  void aRetentionAsLongAsTheDeleteDateOrWithinADayOfItHolds() {
    assertNull(LockDrift.compare("points/a", DELETE_AT, false, retained(DELETE_AT)));
    assertNull(LockDrift.compare("points/a", DELETE_AT, false, retained(DELETE_AT.minus(Duration.ofHours(20)))));
    assertNull(LockDrift.compare("points/a", DELETE_AT, false, retained(DELETE_AT.plus(Duration.ofDays(9)))));
  }

  @Test
  void aShorterRetentionNoRetentionOrAMissingManifestIsAFinding() {
    assertTrue(LockDrift.compare("points/a", DELETE_AT, false, retained(DELETE_AT.minus(Duration.ofDays(2))))
        .startsWith("points/a is retained in storage (COMPLIANCE) only until 2026-02-27T00:00:00Z"));
    assertEquals("points/a has no Object Lock retention, but the database keeps the point until 2026-03-01T00:00:00Z",
        LockDrift.compare("points/a", DELETE_AT, false, ObjectLockState.NONE));
    assertEquals("points/a is missing from the vault's storage", LockDrift.compare("points/a", DELETE_AT, false, null));
  }

  @Test
  void aPointHeldInStorageNeedsTheHoldOnEveryObjectEvenWithoutADeleteDate() {
    ObjectLockState heldAndRetained = new ObjectLockState(retained(DELETE_AT).retention(), true);
    assertNull(LockDrift.compare("packs/ab/c", DELETE_AT, true, heldAndRetained));
    assertEquals("packs/ab/c has no S3 legal hold, but the database says a legal hold holds the point",
        LockDrift.compare("packs/ab/c", DELETE_AT, true, retained(DELETE_AT)));
    assertEquals("packs/ab/c has no S3 legal hold, but the database says a legal hold holds the point",
        LockDrift.compare("packs/ab/c", null, true, ObjectLockState.NONE));
    assertNull(LockDrift.compare("packs/ab/c", DELETE_AT, false, heldAndRetained), "a hold another point needs is fine");
  }

  @Test
  void withoutADeleteDateThereIsNothingToCompare() {
    assertNull(LockDrift.compare("points/a", null, false, ObjectLockState.NONE));
  }
}
