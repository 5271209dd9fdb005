package dev.vaultgate.vault.backup;

import java.io.IOException;

/**
 * A disk to back up, read by offset. Implementations: an image file or block device here; a VMware
 * snapshot disk read over the datastore in the agent. Reads are blocking and may run on several
 * threads at once.
 */
public interface BlockSource extends AutoCloseable {

  /** The disk's size in bytes now. */
  long size() throws IOException;

  /** Reads up to {@code len} bytes at {@code position}; returns the count read, or -1 at the end of the disk. */
  int read(long position, byte[] buf, int off, int len) throws IOException;

  /** The source's name in messages, e.g. a path. */
  String describe();

  @Override
  void close() throws IOException;
}
