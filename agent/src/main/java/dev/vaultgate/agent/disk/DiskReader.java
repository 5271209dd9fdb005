package dev.vaultgate.agent.disk;

import java.io.IOException;

/**
 * Reads a virtual disk's bytes by offset. Reads block, so they run on worker threads (the vault engine's),
 * and may run on several threads at once.
 */
public interface DiskReader extends AutoCloseable {

  /** Reads up to {@code len} bytes at {@code position}: the count read, or -1 at or past the disk's end. */
  int read(long position, byte[] buf, int off, int len) throws IOException;

  /** The disk in messages, e.g. its datastore path. */
  String describe();

  @Override
  void close() throws IOException;
}
