package dev.vaultgate.vault.format;

import dev.vaultgate.vault.spill.ByteStore;
import dev.vaultgate.vault.spill.HeapPool;
import dev.vaultgate.vault.spill.SpillArena;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The block table of one disk in a recovery point: its size, its block size, and for every block that is
 * not all zeros, the chunk id and fingerprint of its content. Blocks that are absent are sparse (zero).
 * It grows with the non-sparse blocks only (56 bytes each), in heap arrays up to a budget per table (system
 * property {@value #MEMORY_PROPERTY}, bytes, default 64 MiB) and in memory-mapped temporary files beyond it
 * ({@link SpillArena}). All the tables of the process share a second budget, a quarter of the heap ({@link #TABLES}):
 * a gc or a check holds one per recovery point. Immutable once built. {@link #close()} deletes its files at once; a table that is not
 * closed has them deleted when it is collected or at exit.
 */
public final class DiskBlocks implements AutoCloseable {
  public static final int ID = 32;
  public static final int FP = 16;
  public static final String MEMORY_PROPERTY = "vaultgate.memory.blocks";
  static final long DEFAULT_HEAP_BUDGET = 64L << 20;
  /** The heap all block tables of this process share, whatever their number: what does not fit spills to disk. */
  static final HeapPool TABLES = new HeapPool(Runtime.getRuntime().maxMemory() / 4);

  private final String name;
  private final long size;
  private final int blockSize;
  private final SpillArena arena;
  private final long[] heapBlocks; // the block numbers: a long[] while the budget allows (binary search), else
  private final ByteStore mappedBlocks; // a mapped store
  private final ByteStore ids;
  private final ByteStore fingerprints;
  private final int count;

  private DiskBlocks(Builder b) {
    this.name = b.name;
    this.size = b.size;
    this.blockSize = b.blockSize;
    this.arena = b.arena;
    this.heapBlocks = b.heapBlocks;
    this.mappedBlocks = b.mappedBlocks;
    this.ids = b.ids;
    this.fingerprints = b.fps;
    this.count = b.count;
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
    Objects.checkIndex(entry, count);
    return heapBlocks != null ? heapBlocks[entry] : mappedBlocks.getLong((long) entry << 3);
  }

  public byte[] chunkIdAt(int entry) {
    byte[] id = new byte[ID];
    chunkIdAt(entry, id, 0);
    return id;
  }

  /** Copies the chunk id of {@code entry} into {@code out} at {@code off}. */
  public void chunkIdAt(int entry, byte[] out, int off) {
    Objects.checkIndex(entry, count);
    ids.get((long) entry * ID, out, off, ID);
  }

  public boolean fingerprintEquals(int entry, byte[] fp, int off) {
    Objects.checkIndex(entry, count);
    return fingerprints.contentEquals((long) entry * FP, fp, off, FP);
  }

  public void fingerprintAt(int entry, byte[] out, int off) {
    Objects.checkIndex(entry, count);
    fingerprints.get((long) entry * FP, out, off, FP);
  }

  /** The entry of {@code block}, or -1 when that block is sparse. */
  public int find(long block) {
    int i = search(block);
    return i >= 0 ? i : -1;
  }

  /** The first entry whose block is at or after {@code block} ({@link #entryCount()} when none). */
  public int firstAtOrAfter(long block) {
    int i = search(block);
    return i >= 0 ? i : -i - 1;
  }

  /** Length of the block at {@code block}: the block size, less for the last block of a disk whose size is not a multiple. */
  public int lengthOf(long block) {
    return (int) Math.min(blockSize, size - block * blockSize);
  }

  /**
   * Deletes the spill files of this table now. It stays readable (until it is collected); a builder it came from
   * that is added to afterwards copies its entries first.
   */
  @Override
  public void close() {
    arena.close();
  }

  /** Bytes of heap arrays this table holds, at most its budget. */
  long heapBytes() {
    return arena.heapBytes();
  }

  /** The spill files in use. */
  List<Path> spillFiles() {
    return arena.files();
  }

  /** As {@link java.util.Arrays#binarySearch(long[], int, int, long)} over the first {@code count} blocks. */
  private int search(long block) {
    if (heapBlocks != null) {
      return Arrays.binarySearch(heapBlocks, 0, count, block);
    }
    int low = 0;
    int high = count - 1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      long b = mappedBlocks.getLong((long) mid << 3);
      if (b < block) {
        low = mid + 1;
      } else if (b > block) {
        high = mid - 1;
      } else {
        return mid;
      }
    }
    return -(low + 1);
  }

  public static Builder builder(String name, long size, int blockSize) {
    return new Builder(name, size, blockSize, SpillArena.budget(MEMORY_PROPERTY, DEFAULT_HEAP_BUDGET), TABLES, null);
  }

  /** A builder whose table keeps at most {@code heapBudget} bytes on the heap and spills to {@code spillDirectory} (null: the default). */
  static Builder builder(String name, long size, int blockSize, long heapBudget, Path spillDirectory) {
    return new Builder(name, size, blockSize, heapBudget, TABLES, spillDirectory);
  }

  /** As {@link #builder(String, long, int, long, Path)}, its heap shared with the tables of {@code pool}. */
  static Builder builder(String name, long size, int blockSize, long heapBudget, HeapPool pool, Path spillDirectory) {
    return new Builder(name, size, blockSize, heapBudget, pool, spillDirectory);
  }

  /** Appends entries in increasing block order. */
  public static final class Builder {
    private static final int FIRST_CAPACITY = 64;

    private final String name;
    private final long size;
    private final int blockSize;
    private SpillArena arena;
    private long[] heapBlocks;
    private ByteStore mappedBlocks;
    private ByteStore ids;
    private ByteStore fps;
    private int capacity;
    private int count;
    private long last = -1;
    private boolean shared; // the stores belong to a built table: copy them before the next add

    private Builder(String name, long size, int blockSize, long heapBudget, HeapPool pool, Path spillDirectory) {
      if (blockSize <= 0 || size < 0) {
        throw new IllegalArgumentException("bad disk geometry: size " + size + ", block size " + blockSize);
      }
      this.name = name;
      this.size = size;
      this.blockSize = blockSize;
      this.arena = new SpillArena("disk-blocks", heapBudget, pool, spillDirectory);
      this.capacity = FIRST_CAPACITY;
      setBlocks(arena, null, capacity);
      this.ids = arena.allocate("ids", (long) capacity * ID);
      this.fps = arena.allocate("fingerprints", (long) capacity * FP);
    }

    public Builder add(long block, byte[] id, int idOff, byte[] fp, int fpOff) {
      if (count > 0 && block <= last) {
        throw new IllegalArgumentException("blocks must be added in increasing order: " + block + " after " + last);
      }
      if (block < 0 || block >= (size + blockSize - 1) / blockSize) {
        throw new IllegalArgumentException("block " + block + " lies outside a disk of " + size + " bytes");
      }
      if (shared) {
        unshare();
      }
      if (count == capacity) {
        if (capacity == Integer.MAX_VALUE) {
          throw new IllegalStateException("disk " + name + " has too many blocks");
        }
        int n = (int) Math.min(Integer.MAX_VALUE, capacity * 2L);
        setBlocks(arena, arena, n);
        ids = arena.grow(ids, "ids", (long) n * ID);
        fps = arena.grow(fps, "fingerprints", (long) n * FP);
        capacity = n;
      }
      if (heapBlocks != null) {
        heapBlocks[count] = block;
      } else {
        mappedBlocks.putLong((long) count << 3, block);
      }
      ids.put((long) count * ID, id, idOff, ID);
      fps.put((long) count * FP, fp, fpOff, FP);
      last = block;
      count++;
      return this;
    }

    public DiskBlocks build() {
      if (!shared) {
        if (heapBlocks != null && heapBlocks.length > count && arena.reserveHeap((long) count << 3)) {
          arena.releaseHeap((long) heapBlocks.length << 3);
          heapBlocks = Arrays.copyOf(heapBlocks, count);
        }
        ids = arena.trim(ids, (long) count * ID);
        fps = arena.trim(fps, (long) count * FP);
        capacity = count;
        shared = true;
      }
      return new DiskBlocks(this);
    }

    /**
     * Puts the first {@code count} block numbers into a table of {@code n} allocated by {@code to}: a long[] if
     * the budget allows, else a mapped store. {@code from} is the arena of the current table when it is to be
     * given back (growth), or null when that table stays with a built one.
     */
    private void setBlocks(SpillArena to, SpillArena from, int n) {
      long[] oldHeap = heapBlocks;
      ByteStore oldMapped = mappedBlocks;
      if (oldMapped != null && to == from) {
        mappedBlocks = to.grow(oldMapped, "blocks", (long) n << 3);
        return;
      }
      if (to.reserveHeap((long) n << 3)) {
        heapBlocks = new long[n];
        mappedBlocks = null;
        for (int i = 0; i < count; i++) {
          heapBlocks[i] = oldHeap != null ? oldHeap[i] : oldMapped.getLong((long) i << 3);
        }
      } else {
        mappedBlocks = to.allocateMapped("blocks", (long) n << 3);
        heapBlocks = null;
        for (int i = 0; i < count; i++) {
          mappedBlocks.putLong((long) i << 3, oldHeap != null ? oldHeap[i] : oldMapped.getLong((long) i << 3));
        }
      }
      if (from != null && oldHeap != null) {
        from.releaseHeap((long) oldHeap.length << 3);
      } else if (from != null && oldMapped != null) {
        from.free(oldMapped);
      }
    }

    /** Moves this builder's entries into stores of its own, leaving those of the built table alone. */
    private void unshare() {
      SpillArena own = new SpillArena("disk-blocks", arena.heapBudget(), arena.pool(), arena.directory());
      int n = Math.max(FIRST_CAPACITY, count);
      setBlocks(own, null, n);
      ids = own.copyOf(ids, "ids", (long) n * ID);
      fps = own.copyOf(fps, "fingerprints", (long) n * FP);
      arena = own;
      capacity = n;
      shared = false;
    }
  }
}
