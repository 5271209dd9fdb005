package dev.vaultgate.appliance.web;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Logged-in admin sessions: a random token (the cookie's value) per login, ended by logout, by
 * {@link #IDLE} without a request, or {@link #ABSOLUTE} after login, whichever comes first. Held in memory:
 * a restart logs everyone out, which is the safe side for one appliance.
 */
public final class AdminSessions {
  static final Duration IDLE = Duration.ofMinutes(30);
  static final Duration ABSOLUTE = Duration.ofHours(12);
  private static final int MAX_SESSIONS = 64;

  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Instant[]> sessions = new LinkedHashMap<>(); // token -> {created, last used}

  public AdminSessions(Clock clock) {
    this.clock = clock;
  }

  /** A new session; the oldest is dropped when there are too many. */
  public synchronized String create() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    Instant now = clock.instant();
    sessions.put(token, new Instant[] {now, now});
    if (sessions.size() > MAX_SESSIONS) {
      Iterator<String> oldest = sessions.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
    return token;
  }

  /** Whether {@code token} is a live session; a live one counts as used now. */
  public synchronized boolean touch(String token) {
    if (token == null) {
      return false;
    }
    Instant[] s = sessions.get(token);
    if (s == null) {
      return false;
    }
    Instant now = clock.instant();
    if (now.isAfter(s[1].plus(IDLE)) || now.isAfter(s[0].plus(ABSOLUTE))) {
      sessions.remove(token);
      return false;
    }
    s[1] = now;
    return true;
  }

  public synchronized void end(String token) {
    if (token != null) {
      sessions.remove(token);
    }
  }
}
