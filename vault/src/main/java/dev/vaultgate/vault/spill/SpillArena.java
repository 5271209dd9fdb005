package dev.vaultgate.vault.spill;

import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Allocates the {@link ByteStore}s of one owner (a chunk index, a block table): in heap arrays while their total
 * stays within the owner's heap budget, even while one is being copied to a bigger array, and beyond it in
 * memory-mapped files. {@link #close()} deletes the files; an arena that is never closed has them deleted when
 * its stores become unreachable, or at exit. Thread-safe; the owner orders reads against writes of the stores.
 */
public final class SpillArena implements AutoCloseable {
  /** The largest heap array a store uses; anything bigger is mapped whatever the budget. */
  static final int MAX_HEAP_STORE = Integer.MAX_VALUE - 16;

  private static final Cleaner CLEANER = Cleaner.create();

  private final String owner;
  private final long heapBudget;
  private final HeapPool pool;
  private final Path directory;
  private final List<MappedByteStore> mapped = new ArrayList<>();
  /** Heap bytes this arena holds, all taken from {@link #pool}; shared with the cleaner that gives them back. */
  private final AtomicLong heapBytes = new AtomicLong();
  private boolean closed;

  /**
   * @param owner names the spill files
   * @param heapBudget bytes of heap arrays this arena may hold at once
   * @param directory where spill files go; null for the process's directory ({@code VAULTGATE_CACHE_DIR} or
   *     {@code java.io.tmpdir})
   */
  public SpillArena(String owner, long heapBudget, Path directory) {
    this(owner, heapBudget, HeapPool.UNLIMITED, directory);
  }

  /**
   * An arena whose heap arrays count against {@code pool} too, shared with other arenas; what it holds goes back to
   * the pool when it is closed, or when it is collected without being closed.
   */
  public SpillArena(String owner, long heapBudget, HeapPool pool, Path directory) {
    if (heapBudget < 0) {
      throw new IllegalArgumentException("heap budget of " + owner + " must be >= 0, got " + heapBudget);
    }
    this.owner = owner;
    this.heapBudget = heapBudget;
    this.pool = pool;
    this.directory = directory;
    if (pool != HeapPool.UNLIMITED) {
      AtomicLong held = heapBytes;
      CLEANER.register(this, () -> pool.give(held.getAndSet(0)));
    }
  }

  /**
   * The budget set by system property {@code key} in bytes, or else {@code defaultBytes} but at most an eighth of the
   * heap (a command runs with a few such owners at once: a backup with its chunk index and two block tables); a value
   * that is not a number of bytes fails with the key and the value.
   */
  public static long budget(String key, long defaultBytes) {
    String value = System.getProperty(key);
    if (value == null || value.isBlank()) {
      return Math.min(defaultBytes, Runtime.getRuntime().maxMemory() / 8);
    }
    try {
      long bytes = Long.parseLong(value.strip());
      if (bytes >= 0) {
        return bytes;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("system property " + key + "=" + value + ": expected a number of bytes >= 0");
  }

  public long heapBudget() {
    return heapBudget;
  }

  public HeapPool pool() {
    return pool;
  }

  public Path directory() {
    return directory;
  }

  /** A zeroed store of at least {@code bytes}. */
  public synchronized ByteStore allocate(String name, long bytes) {
    if (takeHeap(bytes)) {
      return new HeapByteStore(new byte[(int) bytes]);
    }
    return newMapped(name, bytes);
  }

  /** A zeroed store of at least {@code bytes} in a mapped file, whatever the budget. */
  public synchronized ByteStore allocateMapped(String name, long bytes) {
    return newMapped(name, bytes);
  }

  /**
   * Counts {@code bytes} of a heap array the owner makes itself against the budget, if they fit: for a table
   * whose hottest loop wants a typed array ({@code int[]}) rather than a byte store. Give them back with
   * {@link #releaseHeap(long)}.
   */
  public synchronized boolean reserveHeap(long bytes) {
    return takeHeap(bytes);
  }

  public synchronized void releaseHeap(long bytes) {
    giveHeap(bytes);
  }

  /**
   * {@code store} (which this arena allocated) with room for at least {@code bytes} and the same content: the
   * same store when it has the room or is mapped (it maps more segments), else a bigger copy that replaces it,
   * mapped when the copy does not fit the budget.
   */
  public synchronized ByteStore grow(ByteStore store, String name, long bytes) {
    if (store.capacity() >= bytes) {
      return store;
    }
    if (store instanceof MappedByteStore m) {
      if (closed) {
        throw new IllegalStateException("spill arena of " + owner + " is closed");
      }
      m.ensureCapacity(bytes);
      return m;
    }
    byte[] old = ((HeapByteStore) store).array;
    if (takeHeap(bytes)) {
      giveHeap(old.length);
      return new HeapByteStore(Arrays.copyOf(old, (int) bytes));
    }
    MappedByteStore m = newMapped(name, bytes);
    m.put(0, old, 0, old.length);
    giveHeap(old.length);
    return m;
  }

  /** {@code store} cut to {@code bytes} when it is on the heap and the copy fits the budget, else {@code store}. */
  public synchronized ByteStore trim(ByteStore store, long bytes) {
    if (store instanceof HeapByteStore h && h.array.length > bytes && takeHeap(bytes)) {
      giveHeap(h.array.length);
      return new HeapByteStore(Arrays.copyOf(h.array, (int) bytes));
    }
    return store;
  }

  /** A new store of this arena holding the first {@code bytes} of {@code source}, which any arena allocated. */
  public synchronized ByteStore copyOf(ByteStore source, String name, long bytes) {
    ByteStore copy = allocate(name, bytes);
    if (source instanceof HeapByteStore h) {
      copy.put(0, h.array, 0, (int) Math.min(bytes, h.array.length));
      return copy;
    }
    byte[] buffer = new byte[(int) Math.min(bytes, 1 << 16)];
    for (long p = 0, end = Math.min(bytes, source.capacity()); p < end; p += buffer.length) {
      int n = (int) Math.min(buffer.length, end - p);
      source.get(p, buffer, 0, n);
      copy.put(p, buffer, 0, n);
    }
    return copy;
  }

  /** Gives back a store this arena allocated: its heap bytes return to the budget, its file is deleted. */
  public synchronized void free(ByteStore store) {
    if (store instanceof HeapByteStore h) {
      giveHeap(h.array.length);
    } else {
      MappedByteStore m = (MappedByteStore) store;
      if (mapped.remove(m)) {
        m.file().close();
      }
    }
  }

  /** Bytes of heap arrays held by the stores of this arena, at most the budget. */
  public synchronized long heapBytes() {
    return heapBytes.get();
  }

  /** The spill files of this arena that exist now. */
  public synchronized List<Path> files() {
    return mapped.stream().map(m -> m.file().path()).toList();
  }

  /**
   * Deletes the spill files. Stores already handed out stay readable (their mappings outlive the files until
   * they are collected), but can no longer grow, and the arena maps no new ones.
   */
  @Override
  public synchronized void close() {
    closed = true;
    pool.give(heapBytes.getAndSet(0)); // the owner is done with them: other arenas may have them
    for (MappedByteStore m : mapped) {
      m.file().close();
    }
    mapped.clear();
  }

  /** Counts {@code bytes} of heap against this arena's budget and its pool, if they fit both. */
  private boolean takeHeap(long bytes) {
    if (bytes > MAX_HEAP_STORE || heapBytes.get() + bytes > heapBudget || !pool.tryTake(bytes)) {
      return false;
    }
    heapBytes.addAndGet(bytes);
    return true;
  }

  private void giveHeap(long bytes) {
    if (closed) {
      return; // given back to the pool when it closed
    }
    heapBytes.addAndGet(-bytes);
    pool.give(bytes);
  }

  private MappedByteStore newMapped(String name, long bytes) {
    if (closed) {
      throw new IllegalStateException("spill arena of " + owner + " is closed");
    }
    Path dir = directory != null ? directory : SpillDirectory.processDirectory();
    MappedByteStore store = new MappedByteStore(dir, owner + "-" + name + "-", bytes);
    mapped.add(store);
    return store;
  }
}
