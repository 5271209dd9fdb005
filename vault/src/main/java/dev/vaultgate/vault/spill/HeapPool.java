package dev.vaultgate.vault.spill;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Heap bytes that several {@link SpillArena}s share: all the block tables of a process (a gc or a check holds one
 * per recovery point at once), so that their arrays together stay within one budget, whatever the number of points,
 * and what does not fit spills to disk. Thread-safe.
 */
public final class HeapPool {
  /** A pool that never refuses: each arena is held to its own budget only. */
  public static final HeapPool UNLIMITED = new HeapPool(Long.MAX_VALUE);

  private final long limit;
  private final AtomicLong used = new AtomicLong();

  public HeapPool(long limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("a heap pool's limit must be >= 0, got " + limit);
    }
    this.limit = limit;
  }

  /** Takes {@code bytes} if they fit under the limit. */
  boolean tryTake(long bytes) {
    for (long u = used.get(); ; u = used.get()) {
      if (u + bytes > limit || u + bytes < 0) {
        return false;
      }
      if (used.compareAndSet(u, u + bytes)) {
        return true;
      }
    }
  }

  void give(long bytes) {
    used.addAndGet(-bytes);
  }

  /** Bytes taken now. */
  public long used() {
    return used.get();
  }

  public long limit() {
    return limit;
  }
}
