package dev.vaultgate.vault.format;

import java.util.Arrays;

/**
 * The block table of one disk in a recovery point: its size, its block size, and for every block that is
 * not all zeros, the chunk id and fingerprint of its content. Blocks that are absent are sparse (zero).
 * Memory grows with the non-sparse blocks only. Immutable once built.
 */
public final class DiskBlocks {
  public static final int ID = 32;
  public static final int FP = 16;

  private final String name;
  private final long size;
  private final int blockSize;
  private final long[] blocks;
  private final byte[] ids;
  private final byte[] fingerprints;
  private final int count;

  private DiskBlocks(String name, long size, int blockSize, long[] blocks, byte[] ids, byte[] fingerprints, int count) {
    this.name = name;
    this.size = size;
    this.blockSize = blockSize;
    this.blocks = blocks;
    this.ids = ids;
    this.fingerprints = fingerprints;
    this.count = count;
  }

  public String name() {
    return name;
  }

  public long size() {
    return size;
  }

  public int blockSize() {
    return blockSize;
  }

  /** Number of blocks the disk spans, sparse ones included. */
  public long blockCount() {
    return (size + blockSize - 1) / blockSize;
  }

  /** Number of non-sparse blocks. */
  public int entryCount() {
    return count;
  }

  public long blockAt(int entry) {
    return blocks[entry];
  }

  public byte[] chunkIdAt(int entry) {
    return Arrays.copyOfRange(ids, entry * ID, entry * ID + ID);
  }

  /** Copies the chunk id of {@code entry} into {@code out} at {@code off}. */
  public void chunkIdAt(int entry, byte[] out, int off) {
    System.arraycopy(ids, entry * ID, out, off, ID);
  }

  public boolean fingerprintEquals(int entry, byte[] fp, int off) {
    return Arrays.equals(fingerprints, entry * FP, entry * FP + FP, fp, off, off + FP);
  }

  public void fingerprintAt(int entry, byte[] out, int off) {
    System.arraycopy(fingerprints, entry * FP, out, off, FP);
  }

  /** The entry of {@code block}, or -1 when that block is sparse. */
  public int find(long block) {
    int i = Arrays.binarySearch(blocks, 0, count, block);
    return i >= 0 ? i : -1;
  }

  /** The first entry whose block is at or after {@code block} ({@link #entryCount()} when none). */
  public int firstAtOrAfter(long block) {
    int i = Arrays.binarySearch(blocks, 0, count, block);
    return i >= 0 ? i : -i - 1;
  }

  /** Length of the block at {@code block}: the block size, less for the last block of a disk whose size is not a multiple. */
  public int lengthOf(long block) {
    return (int) Math.min(blockSize, size - block * blockSize);
  }

  public static Builder builder(String name, long size, int blockSize) {
    return new Builder(name, size, blockSize);
  }

  /** Appends entries in increasing block order. */
  public static final class Builder {
    private final String name;
    private final long size;
    private final int blockSize;
    private long[] blocks = new long[64];
    private byte[] ids = new byte[64 * ID];
    private byte[] fps = new byte[64 * FP];
    private int count;

    private Builder(String name, long size, int blockSize) {
      if (blockSize <= 0 || size < 0) {
        throw new IllegalArgumentException("bad disk geometry: size " + size + ", block size " + blockSize);
      }
      this.name = name;
      this.size = size;
      this.blockSize = blockSize;
    }

    public Builder add(long block, byte[] id, int idOff, byte[] fp, int fpOff) {
      if (count > 0 && block <= blocks[count - 1]) {
        throw new IllegalArgumentException("blocks must be added in increasing order: " + block + " after " + blocks[count - 1]);
      }
      if (block < 0 || block >= (size + blockSize - 1) / blockSize) {
        throw new IllegalArgumentException("block " + block + " lies outside a disk of " + size + " bytes");
      }
      if (count == blocks.length) {
        int n = count * 2;
        blocks = Arrays.copyOf(blocks, n);
        ids = Arrays.copyOf(ids, n * ID);
        fps = Arrays.copyOf(fps, n * FP);
      }
      blocks[count] = block;
      System.arraycopy(id, idOff, ids, count * ID, ID);
      System.arraycopy(fp, fpOff, fps, count * FP, FP);
      count++;
      return this;
    }

    public DiskBlocks build() {
      return new DiskBlocks(name, size, blockSize, Arrays.copyOf(blocks, count), Arrays.copyOf(ids, count * ID),
          Arrays.copyOf(fps, count * FP), count);
    }
  }
}
