package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.ObjectIds;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
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

class ChunkIndexTest {
  private static byte[] randomId(Random random) {
    byte[] id = new byte[32];
    random.nextBytes(id);
    return id;
  }

  /** {@code packs} packs of {@code perPack} entries each, with distinct random ids. */
  private static List<List<IndexEntry>> segments(long seed, int packs, int perPack) {
    Random random = new Random(seed);
    List<List<IndexEntry>> segments = new ArrayList<>();
    for (int p = 0; p < packs; p++) {
      String packId = ObjectIds.newId();
      List<IndexEntry> entries = new ArrayList<>(perPack);
      int offset = 0;
      for (int i = 0; i < perPack; i++) {
        int length = 1 + random.nextInt(80_000);
        entries.add(new IndexEntry(randomId(random), packId, offset, length, random.nextInt(1 << 17),
            (byte) random.nextInt(2)));
        offset += length;
      }
      segments.add(entries);
    }
    return segments;
  }

  private static boolean same(IndexEntry e, IndexEntry a) {
    return a != null && Arrays.equals(e.chunkId(), a.chunkId()) && e.packId().equals(a.packId())
        && e.offset() == a.offset() && e.length() == a.length() && e.rawLength() == a.rawLength()
        && e.encoding() == a.encoding();
  }

  private static void assertSame(IndexEntry expected, IndexEntry actual) {
    assertNotNull(actual, "missing entry");
    assertArrayEquals(expected.chunkId(), actual.chunkId());
    assertEquals(expected.packId(), actual.packId());
    assertEquals(expected.offset(), actual.offset());
    assertEquals(expected.length(), actual.length());
    assertEquals(expected.rawLength(), actual.rawLength());
    assertEquals(expected.encoding(), actual.encoding());
  }

  @Test
  void twoHundredThousandEntriesAcrossManyPacksAreAllFound() {
    List<List<IndexEntry>> segments = segments(1, 2000, 100);
    ChunkIndex index = new ChunkIndex();
    for (int s = 0; s < segments.size(); s += 10) {
      List<IndexEntry> batch = new ArrayList<>();
      for (int p = s; p < s + 10; p++) {
        batch.addAll(segments.get(p));
      }
      index.addAll(batch);
    }
    assertEquals(200_000, index.size());
    for (List<IndexEntry> segment : segments) {
      for (IndexEntry e : segment) {
        assertTrue(index.contains(e.chunkId(), 0));
        IndexEntry found = index.get(e.chunkId());
        if (!same(e, found)) {
          assertSame(e, found);
        }
      }
    }
    assertEquals(segments.stream().map(s -> s.get(0).packId()).toList(), index.packIds());
    assertEquals(200_000, index.entries().size());
    assertEquals(200_000, new HashSet<>(index.entries().stream().map(e -> Arrays.toString(e.chunkId())).toList()).size());
  }

  /** gc and check mark chunks by entry number and group them by pack without an entry object per chunk. */
  @Test
  void entryNumbersNameEachEntryAndItsPackAndLength() {
    List<List<IndexEntry>> segments = segments(3, 50, 20);
    ChunkIndex index = new ChunkIndex();
    segments.forEach(index::addAll);
    int number = 0;
    for (List<IndexEntry> segment : segments) {
      for (IndexEntry e : segment) {
        assertEquals(number, index.entryNumber(e.chunkId(), 0));
        assertTrue(same(e, index.entryAt(number)));
        assertEquals(e.packId(), index.packIdAt(number));
        assertEquals(e.length(), index.lengthAt(number));
        number++;
      }
    }
    assertEquals(-1, index.entryNumber(new byte[32], 0));
    assertThrows(IndexOutOfBoundsException.class, () -> index.packIdAt(1000));
  }

  @Test
  void unknownIdIsNotFound() {
    ChunkIndex index = new ChunkIndex();
    Random random = new Random(2);
    assertNull(index.get(randomId(random)));
    index.addAll(segments(3, 5, 1000).stream().flatMap(List::stream).toList());
    for (int i = 0; i < 10_000; i++) {
      byte[] id = randomId(random);
      assertNull(index.get(id));
      assertFalse(index.contains(id, 0));
    }
  }

  @Test
  void duplicateKeepsTheFirstLocation() {
    ChunkIndex index = new ChunkIndex();
    byte[] id = randomId(new Random(4));
    IndexEntry first = new IndexEntry(id, ObjectIds.newId(), 10, 100, 200, (byte) 1);
    IndexEntry sameBatch = new IndexEntry(id.clone(), ObjectIds.newId(), 20, 300, 400, (byte) 0);
    IndexEntry laterBatch = new IndexEntry(id.clone(), ObjectIds.newId(), 30, 500, 600, (byte) 0);
    index.addAll(List.of(first, sameBatch));
    index.addAll(List.of(laterBatch));
    assertEquals(1, index.size());
    assertSame(first, index.get(id));
    assertEquals(List.of(first.packId()), index.packIds());
  }

  @Test
  void containsLooksAtTheIdAtAnOffsetInsideALargerArray() {
    ChunkIndex index = new ChunkIndex();
    Random random = new Random(5);
    byte[] buffer = new byte[7 + 32 + 9];
    random.nextBytes(buffer);
    byte[] id = Arrays.copyOfRange(buffer, 7, 39);
    index.addAll(List.of(new IndexEntry(id, ObjectIds.newId(), 0, 1, 1, (byte) 0)));
    assertTrue(index.contains(buffer, 7));
    assertFalse(index.contains(buffer, 6));
    assertFalse(index.contains(buffer, 8));
    byte[] ids = new byte[10 * 32];
    System.arraycopy(id, 0, ids, 5 * 32, 32);
    assertTrue(index.contains(ids, 5 * 32));
    assertFalse(index.contains(ids, 4 * 32));
  }

  @Test
  void idsThatShareTheirHashedBytesAreKeptApart() {
    // The table hashes the first 8 bytes of an id; ids equal there must still be told apart by the rest.
    ChunkIndex index = new ChunkIndex();
    Random random = new Random(6);
    byte[] prefix = randomId(random);
    List<IndexEntry> entries = new ArrayList<>();
    String packId = ObjectIds.newId();
    for (int i = 0; i < 3000; i++) {
      byte[] id = randomId(random);
      System.arraycopy(prefix, 0, id, 0, 8);
      entries.add(new IndexEntry(id, packId, i, i + 1, i + 2, (byte) 0));
    }
    index.addAll(entries);
    assertEquals(3000, index.size());
    for (IndexEntry e : entries) {
      assertSame(e, index.get(e.chunkId()));
    }
    byte[] absent = randomId(random);
    System.arraycopy(prefix, 0, absent, 0, 8);
    assertNull(index.get(absent));
  }

  @Test
  void packSeenAgainLaterKeepsItsName() {
    ChunkIndex index = new ChunkIndex();
    Random random = new Random(7);
    String a = ObjectIds.newId();
    String b = ObjectIds.newId();
    IndexEntry a1 = new IndexEntry(randomId(random), a, 0, 1, 1, (byte) 0);
    IndexEntry b1 = new IndexEntry(randomId(random), b, 0, 1, 1, (byte) 0);
    IndexEntry a2 = new IndexEntry(randomId(random), a, 1, 1, 1, (byte) 0);
    index.addAll(List.of(a1, b1));
    index.addAll(List.of(a2));
    assertEquals(List.of(a, b), index.packIds());
    assertSame(a1, index.get(a1.chunkId()));
    assertSame(b1, index.get(b1.chunkId()));
    assertSame(a2, index.get(a2.chunkId()));
  }

  @Test
  void readersWhileAWriterAddsNeverSeeAWrongEntry() throws Exception {
    List<List<IndexEntry>> segments = segments(8, 300, 500);
    List<IndexEntry> all = segments.stream().flatMap(List::stream).toList();
    ChunkIndex index = new ChunkIndex();
    AtomicInteger published = new AtomicInteger();
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(5);
    try {
      List<Future<String>> readers = new ArrayList<>();
      for (int r = 0; r < 4; r++) {
        readers.add(pool.submit(() -> {
          ThreadLocalRandom random = ThreadLocalRandom.current();
          long checks = 0;
          while (writing.get() || checks < 10_000) {
            int known = published.get();
            int i = random.nextInt(all.size());
            IndexEntry expected = all.get(i);
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
          for (List<IndexEntry> segment : segments) {
            index.addAll(segment);
            published.addAndGet(segment.size());
            Thread.yield();
          }
        } finally {
          writing.set(false);
        }
      });
      writer.get(20, TimeUnit.SECONDS);
      for (Future<String> reader : readers) {
        assertNull(reader.get(20, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(all.size(), index.size());
  }
}
