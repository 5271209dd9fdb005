package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vault lock's rules and the retention arithmetic they rest on: pure, no storage. */
class RetentionLockTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  private static final RetentionLock LOCK = new RetentionLock(RetentionMode.COMPLIANCE, Duration.ofDays(7), Duration.ofDays(365));

  @Test
  void noRequestMeansTheMinimumInTheLocksMode() {
    assertEquals(new Retention(RetentionMode.COMPLIANCE, NOW.plus(Duration.ofDays(7))), LOCK.retentionFor(null, NOW, "v"));
  }

  @Test
  void requestWithinTheBoundsIsTakenAsItIs() {
    Instant until = NOW.plus(Duration.ofDays(30));
    assertEquals(new Retention(RetentionMode.COMPLIANCE, until), LOCK.retentionFor(until, NOW, "v"));
    assertEquals(NOW.plus(Duration.ofDays(365)), LOCK.retentionFor(NOW.plus(Duration.ofDays(365)), NOW, "v").retainUntil());
  }

  @Test
  void requestLongerThanTheMaximumIsRefusedNamingTheBound() {
    VaultException e = assertThrows(VaultException.class, () -> LOCK.retentionFor(NOW.plus(Duration.ofDays(400)), NOW, "s3://b/v"));
    assertEquals("cannot retain a recovery point of vault s3://b/v until 2027-12-28T12:00:00Z: that is 400 days, longer"
        + " than the vault lock's maximum retention of 365 days", e.getMessage());
  }

  @Test
  void requestShorterThanTheMinimumIsRefused() {
    VaultException e = assertThrows(VaultException.class, () -> LOCK.retentionFor(NOW.plus(Duration.ofHours(1)), NOW, "v"));
    assertTrue(e.getMessage().endsWith("that is 1 hour, shorter than the vault lock's minimum retention of 7 days"),
        e.getMessage());
  }

  @Test
  void requestShortOfTheMinimumByTheTimeSinceTheJobStartedIsRaisedToIt() {
    // DeleteAfterDays 7 set when the job was created 3 hours ago: 6 days 21 hours left now, raised to the 7 days
    Instant setAtCreation = NOW.minus(Duration.ofHours(3)).plus(Duration.ofDays(7));
    assertEquals(new Retention(RetentionMode.COMPLIANCE, NOW.plus(Duration.ofDays(7))), LOCK.retentionFor(setAtCreation, NOW, "v"));
    Instant aDayAndASecondShort = NOW.plus(Duration.ofDays(6)).minusSeconds(1);
    assertThrows(VaultException.class, () -> LOCK.retentionFor(aDayAndASecondShort, NOW, "v"));
  }

  @Test
  void boundsAreChecked() {
    assertThrows(IllegalArgumentException.class,
        () -> new RetentionLock(RetentionMode.GOVERNANCE, Duration.ofDays(30), Duration.ofDays(7)));
    assertThrows(IllegalArgumentException.class,
        () -> new RetentionLock(RetentionMode.GOVERNANCE, Duration.ZERO, Duration.ofDays(7)));
  }

  @Test
  void complianceCoversGovernanceOfTheSameDateButNotTheOtherWayRound() {
    Retention compliance = new Retention(RetentionMode.COMPLIANCE, NOW);
    Retention governance = new Retention(RetentionMode.GOVERNANCE, NOW);
    assertTrue(compliance.covers(governance));
    assertFalse(governance.covers(compliance));
    assertFalse(compliance.covers(new Retention(RetentionMode.COMPLIANCE, NOW.plusSeconds(1))));
  }

  @Test
  void unionTakesTheLaterDateAndTheStricterMode() {
    Retention earlyCompliance = new Retention(RetentionMode.COMPLIANCE, NOW);
    Retention lateGovernance = new Retention(RetentionMode.GOVERNANCE, NOW.plusSeconds(60));
    assertEquals(new Retention(RetentionMode.COMPLIANCE, NOW.plusSeconds(60)), earlyCompliance.union(lateGovernance));
    assertEquals(earlyCompliance.union(lateGovernance), lateGovernance.union(earlyCompliance));
  }
}
