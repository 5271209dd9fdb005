package dev.vaultgate.agent.disk;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;

/**
 * Retries a failed read a few times with a growing pause (a connection cut halfway, a timeout), then gives
 * up with the last error and how often it tried. A missing file is not retried. The pause blocks the
 * calling worker thread, as the read itself does.
 */
public final class RetryingDiskReader implements DiskReader {
  private final DiskReader delegate;
  private final int attempts;
  private final Duration firstPause;

  /**
   * @param attempts   tries per read, at least 1
   * @param firstPause pause before the second try; doubled before each next one
   */
  public RetryingDiskReader(DiskReader delegate, int attempts, Duration firstPause) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
    }
    this.delegate = delegate;
    this.attempts = attempts;
    this.firstPause = firstPause;
  }

  @Override
  public int read(long position, byte[] buf, int off, int len) throws IOException {
    long pause = firstPause.toMillis();
    for (int attempt = 1; ; attempt++) {
      try {
        return delegate.read(position, buf, off, len);
      } catch (FileNotFoundException e) {
        throw e;
      } catch (IOException e) {
        if (attempt >= attempts) {
          throw new IOException(e.getMessage() + " (gave up after " + attempts + " attempts)", e);
        }
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while retrying a read of " + delegate.describe(), e);
      }
      pause *= 2;
    }
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
