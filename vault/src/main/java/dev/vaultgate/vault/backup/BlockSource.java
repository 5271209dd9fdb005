package dev.vaultgate.vault.backup;

import java.io.IOException;
import java.nio.ByteBuffer;

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

  /**
   * Reads up to {@code dst.remaining()} bytes at {@code position} into {@code dst}, advancing its position;
   * returns the count read, or -1 at the end of the disk. The backup reads into a direct buffer, so a source
   * that can fill one without a copy through the heap (a file: the kernel copies straight into it) should.
   */
  default int read(long position, ByteBuffer dst) throws IOException {
    if (dst.hasArray()) {
      int n = read(position, dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
      if (n > 0) {
        dst.position(dst.position() + n);
      }
      return n;
    }
    byte[] tmp = new byte[Math.min(dst.remaining(), 1 << 20)];
    int n = read(position, tmp, 0, tmp.length);
    if (n > 0) {
      dst.put(tmp, 0, n);
    }
    return n;
  }

  /** The source's name in messages, e.g. a path. */
  String describe();

  @Override
  void close() throws IOException;
}
