package dev.vaultgate.vault.spill;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A {@link ByteStore} in a temporary file mapped as segments of one power-of-two size (a mapping is limited to
 * 2 GiB); it grows by mapping more segments, never by copying. The pages are page cache: the kernel writes
 * them back and evicts them under memory pressure.
 */
final class MappedByteStore extends ByteStore {
  static final int MIN_SEGMENT = 64 << 10;
  static final int MAX_SEGMENT = 1 << 30;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final SpillFile file;
  private final int segmentBytes;
  private final int shift;
  private final int mask;
  private ByteBuffer[] segments = new ByteBuffer[0];

  /**
   * A store of at least {@code bytes} zeros in a new file of {@code dir}, with segments sized for that first
   * capacity. The file is deleted at the latest when the store becomes unreachable.
   */
  MappedByteStore(Path dir, String prefix, long bytes) {
    long size = Math.max(MIN_SEGMENT, Math.min(MAX_SEGMENT, Long.highestOneBit(Math.max(1, bytes - 1)) << 1));
    this.segmentBytes = (int) size;
    this.shift = Integer.numberOfTrailingZeros(segmentBytes);
    this.mask = segmentBytes - 1;
    this.file = SpillFile.create(dir, prefix, this);
    try {
      ensureCapacity(bytes);
    } catch (RuntimeException e) {
      file.close();
      throw e;
    }
  }

  SpillFile file() {
    return file;
  }

  /** Maps segments until the store holds {@code bytes}; those added read as zeros. */
  void ensureCapacity(long bytes) {
    int n = Math.toIntExact((bytes + segmentBytes - 1) >>> shift);
    if (n <= segments.length) {
      return;
    }
    ByteBuffer[] grown = Arrays.copyOf(segments, n);
    for (int i = segments.length; i < n; i++) {
      grown[i] = file.map((long) i << shift, segmentBytes).order(ByteOrder.LITTLE_ENDIAN);
    }
    segments = grown;
  }

  @Override
  public long capacity() {
    return (long) segments.length << shift;
  }

  @Override
  public byte getByte(long pos) {
    return segments[(int) (pos >>> shift)].get((int) pos & mask);
  }

  @Override
  public void putByte(long pos, byte value) {
    segments[(int) (pos >>> shift)].put((int) pos & mask, value);
  }

  @Override
  public int getInt(long pos) {
    return segments[(int) (pos >>> shift)].getInt((int) pos & mask);
  }

  @Override
  public void putInt(long pos, int value) {
    segments[(int) (pos >>> shift)].putInt((int) pos & mask, value);
  }

  @Override
  public long getLong(long pos) {
    return segments[(int) (pos >>> shift)].getLong((int) pos & mask);
  }

  @Override
  public void putLong(long pos, long value) {
    segments[(int) (pos >>> shift)].putLong((int) pos & mask, value);
  }

  @Override
  public void get(long pos, byte[] dst, int off, int len) {
    while (len > 0) {
      int o = (int) pos & mask;
      int n = Math.min(len, segmentBytes - o);
      segments[(int) (pos >>> shift)].get(o, dst, off, n);
      pos += n;
      off += n;
      len -= n;
    }
  }

  @Override
  public void put(long pos, byte[] src, int off, int len) {
    while (len > 0) {
      int o = (int) pos & mask;
      int n = Math.min(len, segmentBytes - o);
      segments[(int) (pos >>> shift)].put(o, src, off, n);
      pos += n;
      off += n;
      len -= n;
    }
  }

  @Override
  public boolean contentEquals(long pos, byte[] b, int off, int len) {
    ByteBuffer s = segments[(int) (pos >>> shift)];
    int o = (int) pos & mask;
    if ((len & 7) == 0 && o + len <= segmentBytes) {
      for (int i = 0; i < len; i += 8) {
        if (s.getLong(o + i) != (long) LONGS.get(b, off + i)) {
          return false;
        }
      }
      return true;
    }
    for (int i = 0; i < len; i++) {
      if (getByte(pos + i) != b[off + i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public byte[] heapArray() {
    return null;
  }
}
