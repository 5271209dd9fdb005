package dev.vaultgate.appliance.web;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminSessionsTest {
  /** A clock the test moves. */
  static final class MovingClock extends Clock {
    Instant now = Instant.parse("2026-11-23T10:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void sessionEndsAfterIdleTimeButUseKeepsItAlive() {
    MovingClock clock = new MovingClock();
    AdminSessions s = new AdminSessions(clock);
    String t = s.create();
    clock.now = clock.now.plus(AdminSessions.IDLE.minusMinutes(1));
    assertTrue(s.touch(t));
    clock.now = clock.now.plus(AdminSessions.IDLE.minusMinutes(1));
    assertTrue(s.touch(t), "the last use restarted the idle time");
    clock.now = clock.now.plus(AdminSessions.IDLE.plusSeconds(1));
    assertFalse(s.touch(t));
  }

  @Test
  void sessionEndsAfterTheAbsoluteLimitEvenWhenUsed() {
    MovingClock clock = new MovingClock();
    AdminSessions s = new AdminSessions(clock);
    String t = s.create();
    for (Duration d = Duration.ZERO; d.compareTo(AdminSessions.ABSOLUTE) < 0; d = d.plusMinutes(20)) {
      clock.now = clock.now.plus(Duration.ofMinutes(20));
      if (d.plusMinutes(20).compareTo(AdminSessions.ABSOLUTE) <= 0) {
        assertTrue(s.touch(t));
      }
    }
    clock.now = clock.now.plusSeconds(1);
    assertFalse(s.touch(t));
  }

  @Test
  void logoutAndUnknownTokensAreRefusedAndTokensDiffer() {
    AdminSessions s = new AdminSessions(Clock.systemUTC());
    String a = s.create();
    String b = s.create();
    assertNotEquals(a, b);
    s.end(a);
    assertFalse(s.touch(a));
    assertTrue(s.touch(b));
    assertFalse(s.touch(null));
    assertFalse(s.touch("forged"));
  }
}
