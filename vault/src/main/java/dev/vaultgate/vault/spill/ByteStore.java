package dev.vaultgate.vault.spill;

/**
 * A growable run of bytes addressed by {@code long} position, on the heap or in mapped files. Numbers are
 * little-endian. An access of {@code n} bytes must lie inside one aligned {@code n}-byte unit when {@code n}
 * is a power of two up to 64 (a store is split into segments of a power-of-two size), which holds for
 * fixed-width elements of a power-of-two width at their natural positions. Not thread-safe for writes;
 * concurrent reads are safe once the writes are published.
 */
public abstract class ByteStore {
  ByteStore() {
  }

  /** Bytes addressable, {@code [0, capacity())}. */
  public abstract long capacity();

  public abstract byte getByte(long pos);

  public abstract void putByte(long pos, byte value);

  public abstract int getInt(long pos);

  public abstract void putInt(long pos, int value);

  public abstract long getLong(long pos);

  public abstract void putLong(long pos, long value);

  /** Copies {@code len} bytes at {@code pos} into {@code dst} at {@code off}; may cross segments. */
  public abstract void get(long pos, byte[] dst, int off, int len);

  /** Copies {@code len} bytes of {@code src} at {@code off} to {@code pos}; may cross segments. */
  public abstract void put(long pos, byte[] src, int off, int len);

  /** Whether the {@code len} bytes at {@code pos} equal those of {@code b} at {@code off}. */
  public abstract boolean contentEquals(long pos, byte[] b, int off, int len);

  /**
   * The heap array that holds the bytes (position = index), or null when they are mapped: the hottest loops
   * read it directly, saving the dispatch and a load per access.
   */
  public abstract byte[] heapArray();
}
