package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.IndexEntry;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Chunk id to location, for every chunk the vault's index segments name. Flat arrays and open addressing
 * keep it at about 60 bytes a chunk (a million chunks, 64 GiB of unique data, in 60 MB) with no object per
 * entry. Safe for concurrent readers and writers.
 */
public final class ChunkIndex {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final int ID = 32;

  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private final List<String> packIds = new ArrayList<>();
  private final Map<String, Integer> packNumbers = new HashMap<>();

  private int[] table = new int[1 << 12]; // entry number + 1; 0 = empty
  private byte[] ids = new byte[1024 * ID];
  private int[] packs = new int[1024];
  private int[] offsets = new int[1024];
  private int[] lengths = new int[1024];
  private int[] rawLengths = new int[1024];
  private byte[] encodings = new byte[1024];
  private int count;

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

  /** Adds the entries; a chunk already present keeps its first location. */
  public void addAll(List<IndexEntry> entries) {
    lock.writeLock().lock();
    try {
      for (IndexEntry e : entries) {
        addLocked(e);
      }
    } finally {
      lock.writeLock().unlock();
    }
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

  private IndexEntry entry(int e) {
    return new IndexEntry(Arrays.copyOfRange(ids, e * ID, e * ID + ID), packIds.get(packs[e]), offsets[e], lengths[e],
        rawLengths[e], encodings[e]);
  }

  private static int hash(byte[] id, int off) {
    // Chunk ids are HMAC outputs: any 8 of their bytes are already uniformly distributed.
    long h = (long) LONGS.get(id, off);
    return (int) (h ^ (h >>> 32));
  }

  private int slotOf(byte[] id, int off) {
    int mask = table.length - 1;
    for (int s = hash(id, off) & mask; ; s = (s + 1) & mask) {
      int e = table[s] - 1;
      if (e < 0) {
        return -1;
      }
      if (Arrays.equals(ids, e * ID, e * ID + ID, id, off, off + ID)) {
        return e;
      }
    }
  }

  private void addLocked(IndexEntry entry) {
    byte[] id = entry.chunkId();
    if (slotOf(id, 0) >= 0) {
      return;
    }
    if (count == packs.length) {
      int n = count * 2;
      ids = Arrays.copyOf(ids, n * ID);
      packs = Arrays.copyOf(packs, n);
      offsets = Arrays.copyOf(offsets, n);
      lengths = Arrays.copyOf(lengths, n);
      rawLengths = Arrays.copyOf(rawLengths, n);
      encodings = Arrays.copyOf(encodings, n);
    }
    if ((count + 1) * 2 > table.length) {
      rehash(table.length * 2);
    }
    int e = count++;
    System.arraycopy(id, 0, ids, e * ID, ID);
    packs[e] = packIds.isEmpty() || !packIds.get(packIds.size() - 1).equals(entry.packId())
        ? packNumbers.computeIfAbsent(entry.packId(), p -> {
          packIds.add(p);
          return packIds.size() - 1;
        })
        : packIds.size() - 1;
    offsets[e] = entry.offset();
    lengths[e] = entry.length();
    rawLengths[e] = entry.rawLength();
    encodings[e] = entry.encoding();
    insert(e);
  }

  private void rehash(int capacity) {
    table = new int[capacity];
    for (int e = 0; e < count; e++) {
      insert(e);
    }
  }

  private void insert(int e) {
    int mask = table.length - 1;
    int s = hash(ids, e * ID) & mask;
    while (table[s] != 0) {
      s = (s + 1) & mask;
    }
    table[s] = e + 1;
  }
}
