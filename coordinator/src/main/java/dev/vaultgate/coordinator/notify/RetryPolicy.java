package dev.vaultgate.coordinator.notify;

import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * When a failed delivery is tried again: exponential backoff from {@code base}, capped at
 * {@code cap}, with "full jitter" (a uniform draw below the backoff, so many failed deliveries
 * do not come back at the same instant), until the notification is {@code maxAge} old; then it is
 * given up (dead).
 */
public record RetryPolicy(Duration base, Duration cap, Duration maxAge) {

  public RetryPolicy {
    if (base.isNegative() || base.isZero()) throw new IllegalArgumentException("retry base " + base + ": expected > 0");
    if (cap.compareTo(base) < 0) throw new IllegalArgumentException("retry cap " + cap + ": expected >= base " + base);
    if (maxAge.isNegative()) throw new IllegalArgumentException("max age " + maxAge + ": expected >= 0");
  }

  /**
   * The wait before the next attempt after {@code attempts} failed ones, or empty when the
   * notification, {@code age} old, is to be given up. {@code random} draws from [0, 1).
   */
  public Optional<Duration> next(int attempts, Duration age, DoubleSupplier random) {
    if (age.compareTo(maxAge) >= 0) return Optional.empty();
    int shift = Math.min(Math.max(attempts - 1, 0), 30);
    long ceiling = Math.min(cap.toMillis(), base.toMillis() << shift);
    // at least half the backoff: pure full jitter may retry at once, which hammers a receiver that is down
    long wait = ceiling / 2 + (long) (random.getAsDouble() * (ceiling - ceiling / 2));
    Duration delay = Duration.ofMillis(Math.max(1, wait));
    Duration left = maxAge.minus(age);
    // the last attempt happens at the max age rather than never
    return Optional.of(delay.compareTo(left) > 0 ? left : delay);
  }
}
