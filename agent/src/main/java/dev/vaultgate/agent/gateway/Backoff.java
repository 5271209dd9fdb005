package dev.vaultgate.agent.gateway;

import java.time.Duration;

/**
 * How long the gateway waits after consecutive failures to reach the coordinator: doubling from {@code first}
 * up to {@code max}, and back to {@code normal} on the first success, so a coordinator that was away for a while
 * is polled again soon after it returns but not hammered while it is gone.
 */
public final class Backoff {
  private final Duration normal;
  private final Duration first;
  private final Duration max;
  private int failures;

  public Backoff(Duration normal, Duration first, Duration max) {
    if (first.isZero() || first.isNegative() || max.compareTo(first) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < first <= max, got first=" + first + " max=" + max);
    }
    this.normal = normal;
    this.first = first;
    this.max = max;
  }

  /** Records a success; the next wait is the normal interval. */
  public Duration succeeded() {
    failures = 0;
    return normal;
  }

  /** Records a failure; the next wait doubles, up to the maximum. */
  public Duration failed() {
    failures++;
    int shift = Math.min(failures - 1, 30);
    long millis = first.toMillis() << shift;
    return millis <= 0 || millis > max.toMillis() ? max : Duration.ofMillis(millis);
  }

  public int failures() {
    return failures;
  }
}
