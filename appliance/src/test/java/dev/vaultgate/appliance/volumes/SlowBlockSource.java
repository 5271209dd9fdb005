package dev.vaultgate.appliance.volumes;

import dev.vaultgate.vault.backup.BlockSource;

import java.io.IOException;

/**
 * A real volume read at most {@code bytesPerSecond}: slow enough that jobs overlap in time when they are allowed
 * to, and that a person (or a browser test) can watch a job's progress move. Only the pace is changed.
 */
public final class SlowBlockSource implements BlockSource {
  private final BlockSource inner;
  private final long bytesPerSecond;
  private long nextReadNanos = Long.MIN_VALUE;

  public SlowBlockSource(BlockSource inner, long bytesPerSecond) {
    this.inner = inner;
    this.bytesPerSecond = bytesPerSecond;
  }

  @Override
  public long size() throws IOException {
    return inner.size();
  }

  @Override
  public int read(long position, byte[] buf, int off, int len) throws IOException {
    int n = inner.read(position, buf, off, len);
    if (n > 0) {
      // The pace is the volume's, not each reader thread's: reads on several workers share one timeline.
      long start;
      synchronized (this) {
        long now = System.nanoTime();
        start = Math.max(now, nextReadNanos);
        nextReadNanos = start + n * 1_000_000_000L / bytesPerSecond;
      }
      try {
        Thread.sleep(Math.max(0, (nextReadNanosOf(start, n) - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
    return n;
  }

  private long nextReadNanosOf(long start, int n) {
    return start + n * 1_000_000_000L / bytesPerSecond;
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }
}
