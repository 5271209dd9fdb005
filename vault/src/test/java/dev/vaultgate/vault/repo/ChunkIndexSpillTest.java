package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.ObjectIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkIndexSpillTest {
  private static final long BUDGET = 64 << 10;
  private static final int PER_PACK = 500;

  @TempDir
  Path spillDir;

  /** Entry {@code i} of a synthetic vault: its id is a function of i, so millions need no list in memory. */
  private static final class Entries {
    private final List<String> packs = new ArrayList<>();

    Entries(int count) {
      for (int p = 0; p < (count + PER_PACK - 1) / PER_PACK; p++) {
        packs.add(ObjectIds.newId());
      }
    }

    static byte[] id(long i) {
      ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
      long x = i * 0x9E3779B97F4A7C15L;
      for (int k = 0; k < 4; k++) {
        x += 0x9E3779B97F4A7C15L;
        long z = x;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        b.putLong(z ^ (z >>> 31));
      }
      return b.array();
    }

    IndexEntry entry(int i) {
      return new IndexEntry(id(i), packs.get(i / PER_PACK), i % PER_PACK * 70_000, 1 + i % 80_000, (i * 7) & 0x1ffff,
          (byte) (i & 1));
    }

    List<IndexEntry> pack(int p) {
      List<IndexEntry> entries = new ArrayList<>(PER_PACK);
      for (int i = p * PER_PACK; i < (p + 1) * PER_PACK; i++) {
        entries.add(entry(i));
      }
      return entries;
    }
  }

  private static boolean same(IndexEntry e, IndexEntry a) {
    return a != null && java.util.Arrays.equals(e.chunkId(), a.chunkId()) && e.packId().equals(a.packId())
        && e.offset() == a.offset() && e.length() == a.length() && e.rawLength() == a.rawLength()
        && e.encoding() == a.encoding();
  }

  @Test
  void twoMillionEntriesBeyondATinyHeapBudgetLiveInMappedFilesAndReadBackWhileAWriterAdds() throws Exception {
    int n = 2_000_000;
    Entries data = new Entries(n);
    ChunkIndex index = new ChunkIndex(BUDGET, spillDir);
    AtomicInteger published = new AtomicInteger();
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> readers = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        readers.add(pool.submit(() -> {
          ThreadLocalRandom random = ThreadLocalRandom.current();
          long checks = 0;
          while (writing.get() || checks < 10_000) {
            int known = published.get();
            int i = random.nextInt(n);
            IndexEntry expected = data.entry(i);
            IndexEntry found = index.get(expected.chunkId());
            if (i < known ? !same(expected, found) : found != null && !same(expected, found)) {
              return "entry " + i + " (published " + known + ") read as " + found;
            }
            if (i < known && !index.contains(expected.chunkId(), 0)) {
              return "entry " + i + " (published " + known + ") not contained";
            }
            checks++;
          }
          return null;
        }));
      }
      Future<?> writer = pool.submit(() -> {
        try {
          for (int p = 0; p < n / PER_PACK; p++) {
            index.addAll(data.pack(p));
            published.addAndGet(PER_PACK);
            if (p % 64 == 0) {
              assertTrue(index.heapBytes() <= BUDGET, "heap " + index.heapBytes());
            }
          }
        } finally {
          writing.set(false);
        }
        return null;
      });
      writer.get(60, TimeUnit.SECONDS);
      for (Future<String> reader : readers) {
        assertNull(reader.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }

    assertEquals(n, index.size());
    assertTrue(index.heapBytes() <= BUDGET, "heap " + index.heapBytes());
    List<Path> files = index.spillFiles();
    assertFalse(files.isEmpty());
    for (Path f : files) {
      assertTrue(Files.exists(f), f + " should exist while the index is open");
      assertEquals(spillDir, f.getParent());
    }
    byte[] ids = new byte[3 * 32];
    for (int i = 0; i < n; i++) {
      System.arraycopy(Entries.id(i), 0, ids, 32, 32);
      if (!index.contains(ids, 32)) {
        throw new AssertionError("entry " + i + " not contained");
      }
    }
    for (int i = 0; i < n; i += 7) {
      IndexEntry expected = data.entry(i);
      IndexEntry found = index.get(expected.chunkId());
      if (!same(expected, found)) {
        assertNotNull(found, "entry " + i);
        assertArrayEquals(expected.chunkId(), found.chunkId());
        assertEquals(expected, found);
      }
    }
    for (long i = n; i < n + 100_000; i++) {
      assertFalse(index.contains(Entries.id(i), 0));
    }
    assertEquals(n / PER_PACK, index.packIds().size());
    List<IndexEntry> all = index.entries();
    assertEquals(n, all.size());
    assertTrue(same(data.entry(n - 1), all.get(n - 1)));

    index.close();
    for (Path f : files) {
      assertFalse(Files.exists(f), f + " should be deleted on close");
    }
    try (var left = Files.list(spillDir)) {
      assertEquals(0, left.count());
    }
    // What was indexed stays readable; adding does not.
    assertTrue(same(data.entry(12345), index.get(Entries.id(12345))));
    List<IndexEntry> more = List.of(new IndexEntry(Entries.id(n), ObjectIds.newId(), 0, 1, 1, (byte) 0));
    assertThrows(IllegalStateException.class, () -> index.addAll(more));
  }

  @Test
  void anIndexWithinItsBudgetMakesNoFiles() {
    ChunkIndex index = new ChunkIndex(64L << 20, spillDir);
    Entries data = new Entries(100_000);
    for (int p = 0; p < 200; p++) {
      index.addAll(data.pack(p));
    }
    assertTrue(index.spillFiles().isEmpty());
    assertTrue(index.heapBytes() > 100_000L * 32);
    for (int i = 0; i < 100_000; i++) {
      assertTrue(same(data.entry(i), index.get(Entries.id(i))));
    }
    index.close();
  }

  @Test
  void theBudgetComesFromTheSystemPropertyAndABadValueFailsWithTheKey() {
    String before = System.getProperty(ChunkIndex.MEMORY_PROPERTY);
    try {
      System.setProperty(ChunkIndex.MEMORY_PROPERTY, Long.toString(BUDGET));
      ChunkIndex index = new ChunkIndex();
      Entries data = new Entries(20_000);
      for (int p = 0; p < 40; p++) {
        index.addAll(data.pack(p));
      }
      assertTrue(index.heapBytes() <= BUDGET);
      assertFalse(index.spillFiles().isEmpty());
      for (int i = 0; i < 20_000; i++) {
        assertTrue(index.contains(Entries.id(i), 0));
      }
      List<Path> files = index.spillFiles();
      index.close();
      files.forEach(f -> assertFalse(Files.exists(f)));

      System.setProperty(ChunkIndex.MEMORY_PROPERTY, "lots");
      IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, ChunkIndex::new);
      assertTrue(bad.getMessage().contains(ChunkIndex.MEMORY_PROPERTY + "=lots"), bad.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(ChunkIndex.MEMORY_PROPERTY);
      } else {
        System.setProperty(ChunkIndex.MEMORY_PROPERTY, before);
      }
    }
  }

  @Test
  void filesOfAnIndexNobodyClosedAreDeletedWhenItIsCollected() throws Exception {
    List<Path> files = spillAndDrop();
    assertFalse(files.isEmpty());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (files.stream().anyMatch(Files::exists) && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(50);
    }
    files.forEach(f -> assertFalse(Files.exists(f), f + " should be deleted once its index is collected"));
  }

  private List<Path> spillAndDrop() {
    ChunkIndex index = new ChunkIndex(BUDGET, spillDir);
    Entries data = new Entries(10_000);
    for (int p = 0; p < 20; p++) {
      index.addAll(data.pack(p));
    }
    return index.spillFiles();
  }
}
