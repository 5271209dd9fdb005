package dev.vaultgate.agent.disk;

import java.io.InterruptedIOException;
import java.util.function.LongSupplier;

/**
 * A gateway-wide limit on bytes per second, shared by every reader of every job: each read reserves its bytes on
 * one timeline and sleeps until its turn (reads run on worker threads, never on an event loop). The rate is read
 * at each reservation, so a new limit (the coordinator's bandwidth schedule) applies at once; zero or less means
 * no limit.
 */
public final class BandwidthLimiter {
  private final LongSupplier bytesPerSecond;
  private long nextFreeNanos = Long.MIN_VALUE;

  public BandwidthLimiter(LongSupplier bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** The limit now, bytes per second; zero or less: none. */
  public long bytesPerSecond() {
    return bytesPerSecond.getAsLong();
  }

  /** Reserves {@code bytes} at time {@code nowNanos}: how long the caller must wait before it sends them. */
  public synchronized long reserve(int bytes, long nowNanos) {
    long rate = bytesPerSecond.getAsLong();
    if (rate <= 0) {
      nextFreeNanos = Long.MIN_VALUE;
      return 0;
    }
    long start = nextFreeNanos == Long.MIN_VALUE ? nowNanos : Math.max(nowNanos, nextFreeNanos);
    nextFreeNanos = start + (long) (bytes * 1_000_000_000.0 / rate);
    return start - nowNanos;
  }

  /** Blocks until {@code bytes} may be read. */
  public void acquire(int bytes) throws InterruptedIOException {
    long wait = reserve(bytes, System.nanoTime());
    if (wait > 0) {
      try {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for bandwidth");
      }
    }
  }
}
