package dev.vaultgate.agent.disk;

import java.io.IOException;
import java.util.function.BooleanSupplier;

/**
 * Fails every read once {@code stopped} says so: how a running backup honours StopBackupJob, or a lost lease,
 * without the vault engine knowing about jobs. The backup then fails as any read failure does: its snapshot is
 * removed and the points it already stored are deleted.
 */
public final class StoppableDiskReader implements DiskReader {
  private final DiskReader delegate;
  private final BooleanSupplier stopped;
  private final String reason;

  public StoppableDiskReader(DiskReader delegate, BooleanSupplier stopped, String reason) {
    this.delegate = delegate;
    this.stopped = stopped;
    this.reason = reason;
  }

  @Override
  public int read(long position, byte[] buf, int off, int len) throws IOException {
    if (stopped.getAsBoolean()) {
      throw new IOException(reason);
    }
    return delegate.read(position, buf, off, len);
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
