package dev.vaultgate.appliance.runtime;

import java.util.OptionalLong;

/** Throughput and time left of a job from its progress: plain arithmetic, kept apart to be tested directly. */
public final class JobProgress {
  private JobProgress() {
  }

  /** Bytes per second so far; 0 before any time has passed. */
  public static long bytesPerSecond(long bytesDone, long elapsedNanos) {
    if (elapsedNanos <= 0 || bytesDone <= 0) {
      return 0;
    }
    return (long) (bytesDone / (elapsedNanos / 1e9));
  }

  /** Seconds left at the rate so far; empty while the rate is unknown (nothing done yet) or the total is. */
  public static OptionalLong secondsLeft(long bytesDone, long bytesTotal, long elapsedNanos) {
    long rate = bytesPerSecond(bytesDone, elapsedNanos);
    if (rate == 0 || bytesTotal <= 0) {
      return OptionalLong.empty();
    }
    return OptionalLong.of((long) Math.ceil(Math.max(0, bytesTotal - bytesDone) / (double) rate));
  }

  /** Whole percent done, 0-100. */
  public static int percent(long bytesDone, long bytesTotal) {
    if (bytesTotal <= 0) {
      return 0;
    }
    return (int) Math.min(100, bytesDone * 100 / bytesTotal);
  }
}
