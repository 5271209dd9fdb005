package dev.vaultgate.vault.format;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiskBlocksTest {
  private static final int BS = 4096;

  private static byte[] id(long block) {
    byte[] id = new byte[DiskBlocks.ID];
    Arrays.fill(id, (byte) block);
    id[0] = (byte) (block >>> 8);
    return id;
  }

  private static byte[] fp(long block) {
    byte[] fp = new byte[DiskBlocks.FP];
    Arrays.fill(fp, (byte) ~block);
    fp[15] = (byte) (block >>> 8);
    return fp;
  }

  private static DiskBlocks of(long size, long... blocks) {
    DiskBlocks.Builder b = DiskBlocks.builder("disk", size, BS);
    for (long block : blocks) {
      b.add(block, id(block), 0, fp(block), 0);
    }
    return b.build();
  }

  @Test
  void blockCountAndLastBlockLengthFollowTheDiskSize() {
    assertEquals(0, of(0).blockCount());
    assertEquals(1, of(1).blockCount());
    assertEquals(1, of(BS - 1).blockCount());
    assertEquals(1, of(BS).blockCount());
    assertEquals(2, of(BS + 1).blockCount());

    assertEquals(1, of(1).lengthOf(0));
    assertEquals(BS - 1, of(BS - 1).lengthOf(0));
    assertEquals(BS, of(BS).lengthOf(0));
    assertEquals(BS, of(BS + 1).lengthOf(0));
    assertEquals(1, of(BS + 1).lengthOf(1));
    long tib = 1L << 40;
    assertEquals(tib / BS, of(tib).blockCount());
    assertEquals(BS, of(tib).lengthOf(tib / BS - 1));
  }

  @Test
  void lastBlockOfEachSizeIsAcceptedAndTheNextIsRejected() {
    for (long size : new long[] {1, BS - 1, BS, BS + 1, 10L * BS + 5}) {
      long last = (size + BS - 1) / BS - 1;
      DiskBlocks d = of(size, last);
      assertEquals(1, d.entryCount());
      assertEquals(0, d.find(last));
      DiskBlocks.Builder b = DiskBlocks.builder("disk", size, BS);
      assertThrows(IllegalArgumentException.class, () -> b.add(last + 1, id(0), 0, fp(0), 0), "size " + size);
    }
    assertThrows(IllegalArgumentException.class, () -> of(0, 1));
  }

  @Test
  void builderRejectsBlocksOutOfOrder() {
    DiskBlocks.Builder b = DiskBlocks.builder("disk", 100L * BS, BS);
    b.add(5, id(5), 0, fp(5), 0);
    IllegalArgumentException same = assertThrows(IllegalArgumentException.class, () -> b.add(5, id(5), 0, fp(5), 0));
    assertTrue(same.getMessage().contains("increasing order"), same.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.add(4, id(4), 0, fp(4), 0));
    b.add(6, id(6), 0, fp(6), 0);
    assertEquals(2, b.build().entryCount());
  }

  @Test
  void builderRejectsNegativeBlocks() {
    DiskBlocks.Builder b = DiskBlocks.builder("disk", 100L * BS, BS);
    assertThrows(IllegalArgumentException.class, () -> b.add(-1, id(0), 0, fp(0), 0));
  }

  @Test
  void builderRejectsBadGeometry() {
    assertThrows(IllegalArgumentException.class, () -> DiskBlocks.builder("disk", 100, 0));
    assertThrows(IllegalArgumentException.class, () -> DiskBlocks.builder("disk", 100, -4096));
    assertThrows(IllegalArgumentException.class, () -> DiskBlocks.builder("disk", -1, BS));
  }

  @Test
  void findGivesTheEntryOfANonSparseBlockAndMinusOneForASparseOne() {
    DiskBlocks d = of(100L * BS, 0, 3, 4, 50, 99);
    assertEquals(5, d.entryCount());
    assertEquals(0, d.find(0));
    assertEquals(1, d.find(3));
    assertEquals(2, d.find(4));
    assertEquals(3, d.find(50));
    assertEquals(4, d.find(99));
    for (long sparse : new long[] {1, 2, 5, 49, 51, 98, 100, 1000}) {
      assertEquals(-1, d.find(sparse), "block " + sparse);
    }
    assertEquals(-1, of(100L * BS).find(0));
  }

  @Test
  void firstAtOrAfterGivesTheNextNonSparseEntry() {
    DiskBlocks d = of(100L * BS, 3, 4, 50);
    assertEquals(0, d.firstAtOrAfter(0));
    assertEquals(0, d.firstAtOrAfter(3));
    assertEquals(1, d.firstAtOrAfter(4));
    assertEquals(2, d.firstAtOrAfter(5));
    assertEquals(2, d.firstAtOrAfter(50));
    assertEquals(3, d.firstAtOrAfter(51));
    assertEquals(d.entryCount(), d.firstAtOrAfter(99));
    assertEquals(0, of(100L * BS).firstAtOrAfter(0));
  }

  @Test
  void chunkIdsAndFingerprintsAreKeptPerEntryBeyondTheBuildersFirstCapacity() {
    DiskBlocks.Builder b = DiskBlocks.builder("disk", 10_000L * BS, BS);
    byte[] ids = new byte[3 * DiskBlocks.ID];
    byte[] fps = new byte[3 * DiskBlocks.FP];
    for (long block = 0; block < 10_000; block += 7) {
      System.arraycopy(id(block), 0, ids, DiskBlocks.ID, DiskBlocks.ID);
      System.arraycopy(fp(block), 0, fps, 2 * DiskBlocks.FP, DiskBlocks.FP);
      b.add(block, ids, DiskBlocks.ID, fps, 2 * DiskBlocks.FP);
    }
    DiskBlocks d = b.build();
    assertEquals((10_000 + 6) / 7, d.entryCount());
    byte[] out = new byte[DiskBlocks.ID + 3];
    byte[] fpOut = new byte[DiskBlocks.FP];
    for (int e = 0; e < d.entryCount(); e++) {
      long block = d.blockAt(e);
      assertEquals(e * 7L, block);
      assertArrayEquals(id(block), d.chunkIdAt(e));
      d.chunkIdAt(e, out, 3);
      assertArrayEquals(id(block), Arrays.copyOfRange(out, 3, 3 + DiskBlocks.ID));
      d.fingerprintAt(e, fpOut, 0);
      assertArrayEquals(fp(block), fpOut);
      byte[] shifted = new byte[DiskBlocks.FP + 5];
      System.arraycopy(fp(block), 0, shifted, 5, DiskBlocks.FP);
      assertTrue(d.fingerprintEquals(e, shifted, 5));
      shifted[5 + 15] ^= 1;
      assertFalse(d.fingerprintEquals(e, shifted, 5));
    }
  }

  @Test
  void builtTableIsNotChangedByTheCallersArraysOrLaterAdds() {
    byte[] id = id(1);
    byte[] fp = fp(1);
    DiskBlocks.Builder b = DiskBlocks.builder("disk", 10L * BS, BS).add(1, id, 0, fp, 0);
    DiskBlocks d = b.build();
    id[0] ^= 1;
    fp[0] ^= 1;
    b.add(2, id, 0, fp, 0);
    assertEquals(1, d.entryCount());
    assertArrayEquals(id(1), d.chunkIdAt(0));
    assertTrue(d.fingerprintEquals(0, fp(1), 0));
    d.chunkIdAt(0)[0] ^= 1;
    assertArrayEquals(id(1), d.chunkIdAt(0));
    assertEquals("disk", d.name());
    assertEquals(10L * BS, d.size());
    assertEquals(BS, d.blockSize());
  }
}
