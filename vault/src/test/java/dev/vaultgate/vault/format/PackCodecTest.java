package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.VaultKeys;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackCodecTest {
  private final VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
  private final String packId = ObjectIds.newId();

  private static List<IndexEntry> entries(String packId, int n) {
    Random random = new Random(n);
    List<IndexEntry> list = new ArrayList<>();
    int offset = 0;
    for (int i = 0; i < n; i++) {
      byte[] id = new byte[32];
      random.nextBytes(id);
      int length = 100 + random.nextInt(70_000);
      list.add(new IndexEntry(id, packId, offset, length, length + random.nextInt(100), (byte) (i % 2)));
      offset += length;
    }
    return list;
  }

  static void assertSameEntries(List<IndexEntry> expected, List<IndexEntry> actual) {
    assertEquals(expected.size(), actual.size(), "entry count");
    for (int i = 0; i < expected.size(); i++) {
      IndexEntry e = expected.get(i);
      IndexEntry a = actual.get(i);
      assertArrayEquals(e.chunkId(), a.chunkId(), "chunk id of entry " + i);
      assertEquals(e.packId(), a.packId(), "pack of entry " + i);
      assertEquals(e.offset(), a.offset(), "offset of entry " + i);
      assertEquals(e.length(), a.length(), "length of entry " + i);
      assertEquals(e.rawLength(), a.rawLength(), "raw length of entry " + i);
      assertEquals(e.encoding(), a.encoding(), "encoding of entry " + i);
    }
  }

  private static byte[] sealedHeader(byte[] headerAndTrailer) {
    return Arrays.copyOf(headerAndTrailer, headerAndTrailer.length - PackCodec.TRAILER_BYTES);
  }

  private static byte[] trailer(byte[] headerAndTrailer) {
    return Arrays.copyOfRange(headerAndTrailer, headerAndTrailer.length - PackCodec.TRAILER_BYTES,
        headerAndTrailer.length);
  }

  @Test
  void headerReadBackThroughItsTrailerListsTheSameEntries() {
    for (int n : new int[] {0, 1, 500}) {
      List<IndexEntry> entries = entries(packId, n);
      byte[] tail = PackCodec.headerAndTrailer(keys, packId, entries);
      int headerLength = PackCodec.headerLength(packId, trailer(tail));
      assertEquals(tail.length - PackCodec.TRAILER_BYTES, headerLength);
      assertSameEntries(entries, PackCodec.readHeader(keys, packId, sealedHeader(tail)));
    }
  }

  @Test
  void trailerEndsWithTheMagic() {
    byte[] tail = PackCodec.headerAndTrailer(keys, packId, entries(packId, 3));
    assertArrayEquals("VGP1".getBytes(), Arrays.copyOfRange(tail, tail.length - 4, tail.length));
  }

  @Test
  void truncatedHeaderIsACorruptPackNamedInTheError() {
    byte[] header = sealedHeader(PackCodec.headerAndTrailer(keys, packId, entries(packId, 20)));
    for (int cut : new int[] {1, 16, header.length / 2, header.length - 1}) {
      byte[] truncated = Arrays.copyOf(header, header.length - cut);
      CorruptObjectException e = assertThrows(CorruptObjectException.class,
          () -> PackCodec.readHeader(keys, packId, truncated), "cut " + cut);
      assertTrue(e.getMessage().contains("pack " + packId), e.getMessage());
    }
  }

  @Test
  void oneFlippedBitInTheHeaderIsACorruptPackNamedInTheError() {
    byte[] header = sealedHeader(PackCodec.headerAndTrailer(keys, packId, entries(packId, 20)));
    for (int pos : new int[] {0, 11, 12, header.length / 2, header.length - 17, header.length - 1}) {
      byte[] damaged = header.clone();
      damaged[pos] ^= 1;
      CorruptObjectException e = assertThrows(CorruptObjectException.class,
          () -> PackCodec.readHeader(keys, packId, damaged), "byte " + pos);
      assertTrue(e.getMessage().contains("pack " + packId), e.getMessage());
    }
  }

  @Test
  void headerReadUnderAnotherPackIdFails() {
    byte[] header = sealedHeader(PackCodec.headerAndTrailer(keys, packId, entries(packId, 5)));
    String other = ObjectIds.newId();
    CorruptObjectException e = assertThrows(CorruptObjectException.class,
        () -> PackCodec.readHeader(keys, other, header));
    assertTrue(e.getMessage().contains("pack " + other), e.getMessage());
  }

  @Test
  void headerOfAnotherVaultFails() {
    byte[] header = sealedHeader(PackCodec.headerAndTrailer(keys, packId, entries(packId, 5)));
    VaultKeys other = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    assertThrows(CorruptObjectException.class, () -> PackCodec.readHeader(other, packId, header));
  }

  @Test
  void trailerWithoutTheMagicIsACorruptPack() {
    byte[] trailer = trailer(PackCodec.headerAndTrailer(keys, packId, entries(packId, 5)));
    trailer[7] ^= 1;
    CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> PackCodec.headerLength(packId, trailer));
    assertTrue(e.getMessage().contains("pack " + packId), e.getMessage());
    assertThrows(CorruptObjectException.class, () -> PackCodec.headerLength(packId, new byte[4]));
    assertThrows(CorruptObjectException.class, () -> PackCodec.headerLength(packId, new byte[0]));
  }

  @Test
  void trailerWithAnImpossibleHeaderLengthIsACorruptPack() {
    for (int len : new int[] {-1, Integer.MIN_VALUE, (64 << 20) + 1}) {
      byte[] trailer = ByteBuffer.allocate(8).putInt(len).putInt(0x56475031).array();
      CorruptObjectException e = assertThrows(CorruptObjectException.class,
          () -> PackCodec.headerLength(packId, trailer), "length " + len);
      assertTrue(e.getMessage().contains("pack " + packId), e.getMessage());
    }
  }
}
