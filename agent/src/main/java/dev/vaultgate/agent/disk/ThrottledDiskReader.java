package dev.vaultgate.agent.disk;

import java.io.IOException;

/**
 * Reads at most as fast as a shared {@link BandwidthLimiter} allows. While a limit is set, a large read is split
 * into pieces of about a quarter second's worth, so the readers it wraps (a stop check) are asked between pieces
 * rather than once per multi-megabyte extent; without a limit reads pass through whole.
 */
public final class ThrottledDiskReader implements DiskReader {
  private static final int MIN_PIECE = 64 * 1024;

  private final DiskReader delegate;
  private final BandwidthLimiter limiter;

  public ThrottledDiskReader(DiskReader delegate, BandwidthLimiter limiter) {
    this.delegate = delegate;
    this.limiter = limiter;
  }

  @Override
  public int read(long position, byte[] buf, int off, int len) throws IOException {
    long rate = limiter.bytesPerSecond();
    if (rate <= 0) {
      return delegate.read(position, buf, off, len);
    }
    int piece = (int) Math.max(MIN_PIECE, Math.min(Integer.MAX_VALUE, rate / 4));
    int done = 0;
    while (done < len) {
      int n = Math.min(piece, len - done);
      limiter.acquire(n);
      int got = delegate.read(position + done, buf, off + done, n);
      if (got < 0) {
        return done == 0 ? -1 : done;
      }
      done += got;
      if (got < n) {
        break;
      }
    }
    return done;
  }

  @Override
  public String describe() {
    return delegate.describe();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
