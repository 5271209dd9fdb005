package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.spill.ByteStore;
import dev.vaultgate.vault.spill.SpillArena;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Chunk id to location, for every chunk the vault's index segments name. Flat stores and open addressing keep
 * it at about 60 bytes a chunk with no object per entry. The stores are heap arrays up to a budget (system
 * property {@value #MEMORY_PROPERTY}, bytes, default 64 MiB) and memory-mapped temporary files beyond it
 * ({@link SpillArena}), so the heap stays bounded however many chunks the vault holds. Safe for concurrent
 * readers and writers. {@link #close()} deletes the files at once; an index that is not closed has them deleted
 * when it is collected or at exit.
 */
public final class ChunkIndex implements AutoCloseable {
  public static final String MEMORY_PROPERTY = "vaultgate.memory.index";
  static final long DEFAULT_HEAP_BUDGET = 64L << 20;

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final int ID = 32;
  private static final int LOCATION = 16; // pack number, offset, length, raw length: 4 ints
  private static final int FIRST_CAPACITY = 1024;
  private static final int MAX_SLOTS = 1 << 30;

  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private final List<String> packIds = new ArrayList<>();
  private final Map<String, Integer> packNumbers = new HashMap<>();
  private final SpillArena arena;

  // Slots hold entry number + 1 (0 = empty): an int[] while the budget allows, it is the hottest array of a
  // backup (an int[] probes faster than a byte store once the table outgrows the caches), else a mapped store.
  private int[] heapTable;
  private ByteStore mappedTable;
  private int slots;
  private ByteStore ids;
  private ByteStore locations;
  private ByteStore encodings;
  private byte[] heapIds; // the array of ids while it is on the heap, else null
  private int capacity;
  private int count;
  private boolean closed;

  public ChunkIndex() {
    this(SpillArena.budget(MEMORY_PROPERTY, DEFAULT_HEAP_BUDGET), null);
  }

  /** An index that keeps at most {@code heapBudget} bytes of arrays on the heap and spills to {@code spillDirectory} (null: the default). */
  ChunkIndex(long heapBudget, Path spillDirectory) {
    arena = new SpillArena("chunk-index", heapBudget, spillDirectory);
    capacity = FIRST_CAPACITY;
    slots = 4 * FIRST_CAPACITY;
    newTable(slots);
    ids = arena.allocate("ids", (long) capacity * ID);
    locations = arena.allocate("locations", (long) capacity * LOCATION);
    encodings = arena.allocate("encodings", capacity);
    heapIds = ids.heapArray();
  }

  public int size() {
    lock.readLock().lock();
    try {
      return count;
    } finally {
      lock.readLock().unlock();
    }
  }

  public boolean contains(byte[] id, int off) {
    lock.readLock().lock();
    try {
      return slotOf(id, off) >= 0;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The location of {@code id}, or null. */
  public IndexEntry get(byte[] id) {
    lock.readLock().lock();
    try {
      int e = slotOf(id, 0);
      return e < 0 ? null : entry(e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * The number of {@code id}'s entry, or -1: entries are numbered from 0 to {@link #size()} - 1 in the order they were
   * added, and keep their numbers (adding a chunk already present adds nothing), so a bit set over them marks chunks
   * in a bit each (gc's live set).
   */
  public int entryNumber(byte[] id, int off) {
    lock.readLock().lock();
    try {
      return slotOf(id, off);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The entry numbered {@code e} ({@link #entryNumber}). */
  public IndexEntry entryAt(int e) {
    lock.readLock().lock();
    try {
      Objects.checkIndex(e, count);
      return entry(e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The pack of the entry numbered {@code e}: what gc and check group by, without an entry object per chunk. */
  public String packIdAt(int e) {
    lock.readLock().lock();
    try {
      Objects.checkIndex(e, count);
      return packIds.get(locations.getInt((long) e * LOCATION));
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The stored (sealed) length of the entry numbered {@code e}. */
  public int lengthAt(int e) {
    lock.readLock().lock();
    try {
      Objects.checkIndex(e, count);
      return locations.getInt((long) e * LOCATION + 8);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Adds the entries; a chunk already present keeps its first location. */
  public void addAll(List<IndexEntry> entries) {
    lock.writeLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("chunk index is closed");
      }
      for (IndexEntry e : entries) {
        addLocked(e);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Ids of the packs holding the chunks of {@code manifest} that this index places. */
  public Set<String> packsOf(Manifest manifest) {
    Set<String> packs = new HashSet<>();
    byte[] id = new byte[DiskBlocks.ID];
    for (DiskBlocks disk : manifest.disks()) {
      for (int i = 0; i < disk.entryCount(); i++) {
        disk.chunkIdAt(i, id, 0);
        IndexEntry e = get(id);
        if (e != null) {
          packs.add(e.packId());
        }
      }
    }
    return packs;
  }

  /** Whether this index places every chunk of {@code manifest}. */
  public boolean placesEveryChunkOf(Manifest manifest) {
    byte[] id = new byte[DiskBlocks.ID];
    for (DiskBlocks disk : manifest.disks()) {
      for (int i = 0; i < disk.entryCount(); i++) {
        disk.chunkIdAt(i, id, 0);
        if (!contains(id, 0)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Every entry, for check and gc. */
  public List<IndexEntry> entries() {
    lock.readLock().lock();
    try {
      List<IndexEntry> all = new ArrayList<>(count);
      for (int e = 0; e < count; e++) {
        all.add(entry(e));
      }
      return all;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Packs that hold at least one indexed chunk. */
  public List<String> packIds() {
    lock.readLock().lock();
    try {
      return List.copyOf(packIds);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Deletes the spill files now. What is indexed stays readable (until the index is collected); adding fails.
   */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      closed = true;
      arena.close();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Bytes of heap arrays the index holds (its entries, not its pack names), at most its budget. */
  long heapBytes() {
    return arena.heapBytes();
  }

  /** The spill files in use. */
  List<Path> spillFiles() {
    return arena.files();
  }

  private IndexEntry entry(int e) {
    byte[] id = new byte[ID];
    ids.get((long) e * ID, id, 0, ID);
    long at = (long) e * LOCATION;
    return new IndexEntry(id, packIds.get(locations.getInt(at)), locations.getInt(at + 4), locations.getInt(at + 8),
        locations.getInt(at + 12), encodings.getByte(e));
  }

  private static int hash(long firstBytes) {
    // Chunk ids are HMAC outputs: any 8 of their bytes are already uniformly distributed.
    return (int) (firstBytes ^ (firstBytes >>> 32));
  }

  private int slotOf(byte[] id, int off) {
    int mask = slots - 1;
    long first = (long) LONGS.get(id, off);
    int s = hash(first) & mask;
    int[] heapTable = this.heapTable;
    byte[] heapIds = this.heapIds;
    if (heapTable != null && heapIds != null) {
      // The same probe on the arrays themselves: contains() runs for every block a backup reads.
      for (; ; s = (s + 1) & mask) {
        int e = heapTable[s] - 1;
        if (e < 0) {
          return -1;
        }
        if (Arrays.equals(heapIds, e * ID, e * ID + ID, id, off, off + ID)) {
          return e;
        }
      }
    }
    ByteStore ids = this.ids;
    for (; ; s = (s + 1) & mask) {
      int e = slot(s) - 1;
      if (e < 0) {
        return -1;
      }
      if (ids.getLong((long) e * ID) == first && ids.contentEquals((long) e * ID, id, off, ID)) {
        return e;
      }
    }
  }

  private void addLocked(IndexEntry entry) {
    byte[] id = entry.chunkId();
    if (slotOf(id, 0) >= 0) {
      return;
    }
    if (count == capacity) {
      int n = capacity * 2;
      ids = arena.grow(ids, "ids", (long) n * ID);
      heapIds = ids.heapArray();
      locations = arena.grow(locations, "locations", (long) n * LOCATION);
      encodings = arena.grow(encodings, "encodings", n);
      capacity = n;
    }
    if ((count + 1L) * 2 > slots) {
      if (slots == MAX_SLOTS) {
        throw new IllegalStateException("chunk index is full at " + count + " chunks");
      }
      rehash(slots * 2);
    }
    int e = count++;
    ids.put((long) e * ID, id, 0, ID);
    int pack = packIds.isEmpty() || !packIds.get(packIds.size() - 1).equals(entry.packId())
        ? packNumbers.computeIfAbsent(entry.packId(), p -> {
          packIds.add(p);
          return packIds.size() - 1;
        })
        : packIds.size() - 1;
    long at = (long) e * LOCATION;
    locations.putInt(at, pack);
    locations.putInt(at + 4, entry.offset());
    locations.putInt(at + 8, entry.length());
    locations.putInt(at + 12, entry.rawLength());
    encodings.putByte(e, entry.encoding());
    insert(e);
  }

  private void rehash(int newSlots) {
    // The new table is made before the old one is given back, so a failure (a full disk) leaves the index whole.
    int[] oldHeap = heapTable;
    ByteStore oldMapped = mappedTable;
    newTable(newSlots);
    if (oldHeap != null) {
      arena.releaseHeap((long) oldHeap.length * Integer.BYTES);
    } else {
      arena.free(oldMapped);
    }
    for (int e = 0; e < count; e++) {
      insert(e);
    }
  }

  private void newTable(int n) {
    long bytes = (long) n * Integer.BYTES;
    if (arena.reserveHeap(bytes)) {
      heapTable = new int[n];
      mappedTable = null;
    } else {
      mappedTable = arena.allocateMapped("table", bytes);
      heapTable = null;
    }
    slots = n;
  }

  private int slot(int s) {
    return heapTable != null ? heapTable[s] : mappedTable.getInt((long) s << 2);
  }

  private void insert(int e) {
    int mask = slots - 1;
    int s = hash(ids.getLong((long) e * ID)) & mask;
    while (slot(s) != 0) {
      s = (s + 1) & mask;
    }
    if (heapTable != null) {
      heapTable[s] = e + 1;
    } else {
      mappedTable.putInt((long) s << 2, e + 1);
    }
  }
}
