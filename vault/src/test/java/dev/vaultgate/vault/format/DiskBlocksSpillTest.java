package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.spill.HeapPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiskBlocksSpillTest {
  private static final long BUDGET = 64 << 10;
  private static final int BS = 4096;
  private static final int N = 3_000_000;

  @TempDir
  Path spillDir;

  private static long mix(long x) {
    x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
    x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
    return x ^ (x >>> 31);
  }

  /** Entry i lies at block 2i or 2i + 1; the other of the two is sparse. */
  private static long block(int i) {
    return 2L * i + (mix(i) & 1);
  }

  private static byte[] id(int i) {
    ByteBuffer b = ByteBuffer.allocate(DiskBlocks.ID).order(ByteOrder.LITTLE_ENDIAN);
    for (int k = 0; k < 4; k++) {
      b.putLong(mix(i * 8L + k + 1));
    }
    return b.array();
  }

  private static byte[] fp(int i) {
    return ByteBuffer.allocate(DiskBlocks.FP).putLong(mix(~i)).putLong(i).array();
  }

  private static DiskBlocks.Builder fill(DiskBlocks.Builder b) {
    byte[] ids = new byte[DiskBlocks.ID + 3];
    for (int i = 0; i < N; i++) {
      System.arraycopy(id(i), 0, ids, 3, DiskBlocks.ID);
      b.add(block(i), ids, 3, fp(i), 0);
    }
    return b;
  }

  private static void assertTable(DiskBlocks d) {
    assertEquals(N, d.entryCount());
    byte[] out = new byte[DiskBlocks.ID + 5];
    byte[] fpOut = new byte[DiskBlocks.FP];
    for (int i = 0; i < N; i++) {
      long block = block(i);
      if (d.find(block) != i || d.blockAt(i) != block || d.find(block ^ 1) != -1) {
        throw new AssertionError("entry " + i + " at block " + block + ": find " + d.find(block) + ", blockAt "
            + d.blockAt(i) + ", find of its sparse neighbour " + d.find(block ^ 1));
      }
      byte[] fp = fp(i);
      if (!d.fingerprintEquals(i, fp, 0)) {
        throw new AssertionError("fingerprint of entry " + i);
      }
      fp[i % DiskBlocks.FP] ^= 1;
      if (d.fingerprintEquals(i, fp, 0)) {
        throw new AssertionError("changed fingerprint of entry " + i + " compares equal");
      }
      d.chunkIdAt(i, out, 5);
      if (!java.util.Arrays.equals(id(i), 0, DiskBlocks.ID, out, 5, 5 + DiskBlocks.ID)) {
        throw new AssertionError("chunk id of entry " + i);
      }
    }
    for (int i = 0; i < N; i += 9973) {
      assertArrayEquals(id(i), d.chunkIdAt(i));
      d.fingerprintAt(i, fpOut, 0);
      assertArrayEquals(fp(i), fpOut);
      assertEquals(i, d.firstAtOrAfter(2L * i));
      assertEquals(i + 1, d.firstAtOrAfter(block(i) + 1));
    }
    assertEquals(N, d.firstAtOrAfter(2L * N));
    assertEquals(-1, d.find(2L * N + 7));
  }

  @Test
  void threeMillionBlocksBeyondATinyHeapBudgetLiveInMappedFilesAndReadBack() throws Exception {
    DiskBlocks.Builder b = fill(DiskBlocks.builder("disk", (2L * N + 1) * BS, BS, BUDGET, spillDir));
    DiskBlocks d = b.build();
    assertEquals(2L * N + 1, d.blockCount());
    assertTrue(d.heapBytes() <= BUDGET, "heap " + d.heapBytes());
    List<Path> files = d.spillFiles();
    assertFalse(files.isEmpty());
    files.forEach(f -> assertTrue(Files.exists(f), f + " should exist while the table is open"));
    assertTable(d);

    d.close();
    files.forEach(f -> assertFalse(Files.exists(f), f + " should be deleted on close"));
    try (var left = Files.list(spillDir)) {
      assertEquals(0, left.count());
    }
    // Still readable after close; the builder copies before it adds again and leaves the table alone.
    assertArrayEquals(id(N - 1), d.chunkIdAt(N - 1));
    byte[] other = new byte[DiskBlocks.ID];
    b.add(2L * N, other, 0, fp(0), 0);
    assertEquals(N, d.entryCount());
    assertEquals(N + 1, b.build().entryCount());
  }

  private static DiskBlocks table(HeapPool pool, int entries, Path dir) {
    DiskBlocks.Builder b = DiskBlocks.builder("disk", 2L * entries * BS, BS, 64L << 20, pool, dir);
    for (int i = 0; i < entries; i++) {
      b.add(block(i), id(i), 0, fp(i), 0);
    }
    return b.build();
  }

  /**
   * Block tables share one heap pool (a gc holds a table per point): one that finds the pool taken spills to disk
   * whatever its own budget, and a table closed gives its heap back, so the next one is in arrays again.
   */
  @Test
  void tablesBeyondTheirSharedHeapSpillAndAClosedOneGivesItsHeapBack() {
    HeapPool pool = new HeapPool(3L << 20);
    DiskBlocks first = table(pool, 20_000, spillDir); // ~1.1 MB held, ~2 MB while its arrays doubled
    assertTrue(first.spillFiles().isEmpty(), "the first table fits the pool");
    assertEquals(first.heapBytes(), pool.used());
    DiskBlocks second = table(pool, 40_000, spillDir); // ~2.2 MB held, ~4 MB while growing: more than is left
    assertFalse(second.spillFiles().isEmpty(), "the second table spilled");
    assertEquals(first.heapBytes() + second.heapBytes(), pool.used());
    assertTrue(pool.used() <= pool.limit(), pool.used() + " bytes taken");
    for (int i = 0; i < 40_000; i += 97) {
      assertEquals(i, second.find(block(i)));
      assertArrayEquals(id(i), second.chunkIdAt(i));
    }
    first.close();
    second.close();
    assertEquals(0, pool.used(), "closed tables give their heap back");
    DiskBlocks third = table(pool, 20_000, spillDir);
    assertTrue(third.spillFiles().isEmpty(), "the heap given back is used again");
    third.close();
  }

  @Test
  void aSpilledTableRoundTripsThroughTheManifestCodec() {
    VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    DiskBlocks d = fill(DiskBlocks.builder("disk-0", 2L * N * BS, BS, BUDGET, spillDir)).build();
    DiskBlocks small = DiskBlocks.builder("disk-1", 10L * BS, BS, BUDGET, spillDir).add(3, id(1), 0, fp(1), 0).build();
    String pointId = ObjectIds.newId();
    byte[] sealed = ManifestCodec.encode(keys, new Manifest(pointId, 42, null, "{}", List.of(d, small)));
    d.close();

    String before = System.getProperty(DiskBlocks.MEMORY_PROPERTY);
    Manifest m;
    try {
      System.setProperty(DiskBlocks.MEMORY_PROPERTY, Long.toString(BUDGET));
      m = ManifestCodec.decode(keys, pointId, sealed);
    } finally {
      if (before == null) {
        System.clearProperty(DiskBlocks.MEMORY_PROPERTY);
      } else {
        System.setProperty(DiskBlocks.MEMORY_PROPERTY, before);
      }
    }
    DiskBlocks decoded = m.disk("disk-0");
    assertEquals(2L * N * BS, decoded.size());
    assertEquals(2L * N, decoded.blockCount());
    assertTrue(decoded.heapBytes() <= BUDGET, "heap " + decoded.heapBytes());
    List<Path> files = decoded.spillFiles();
    assertFalse(files.isEmpty());
    assertTable(decoded);
    assertEquals(1, m.disk("disk-1").entryCount());
    assertEquals(0, m.disk("disk-1").find(3));
    decoded.close();
    files.forEach(f -> assertFalse(Files.exists(f), f + " should be deleted on close"));
  }
}
