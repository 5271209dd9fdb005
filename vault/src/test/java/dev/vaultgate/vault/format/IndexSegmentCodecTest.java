package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.VaultKeys;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexSegmentCodecTest {
  private final VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
  private final String segmentId = ObjectIds.newId();
  private final Random random = new Random(1);

  private IndexEntry entry(String packId, int offset) {
    byte[] id = new byte[32];
    random.nextBytes(id);
    int length = 1 + random.nextInt(1 << 20);
    return new IndexEntry(id, packId, offset, length, random.nextInt(1 << 22), (byte) random.nextInt(2));
  }

  private static void assertSameEntries(List<IndexEntry> expected, List<IndexEntry> actual) {
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

  private List<IndexEntry> threePacks() {
    List<IndexEntry> entries = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      String packId = ObjectIds.newId();
      for (int i = 0; i < 100 * (p + 1); i++) {
        entries.add(entry(packId, i * 1000));
      }
    }
    return entries;
  }

  @Test
  void segmentDecodesToTheEntriesItWasEncodedFrom() {
    List<IndexEntry> entries = threePacks();
    byte[] sealed = IndexSegmentCodec.encode(keys, segmentId, entries);
    assertSameEntries(entries, IndexSegmentCodec.decode(keys, segmentId, sealed));
  }

  @Test
  void emptySegmentDecodesToNoEntries() {
    byte[] sealed = IndexSegmentCodec.encode(keys, segmentId, List.of());
    assertEquals(List.of(), IndexSegmentCodec.decode(keys, segmentId, sealed));
  }

  @Test
  void entriesOfInterleavedPacksComeBackGroupedByPackInFirstSeenOrder() {
    String a = ObjectIds.newId();
    String b = ObjectIds.newId();
    IndexEntry a1 = entry(a, 0);
    IndexEntry b1 = entry(b, 0);
    IndexEntry a2 = entry(a, 10);
    IndexEntry b2 = entry(b, 10);
    byte[] sealed = IndexSegmentCodec.encode(keys, segmentId, List.of(a1, b1, a2, b2));
    assertSameEntries(List.of(a1, a2, b1, b2), IndexSegmentCodec.decode(keys, segmentId, sealed));
  }

  @Test
  void truncatedSegmentIsCorruptAndNamedInTheError() {
    byte[] sealed = IndexSegmentCodec.encode(keys, segmentId, threePacks());
    for (int length : new int[] {0, 5, 27, 28, sealed.length / 2, sealed.length - 1}) {
      byte[] truncated = Arrays.copyOf(sealed, length);
      CorruptObjectException e = assertThrows(CorruptObjectException.class,
          () -> IndexSegmentCodec.decode(keys, segmentId, truncated), "length " + length);
      assertTrue(e.getMessage().contains("index segment " + segmentId), e.getMessage());
    }
  }

  @Test
  void oneFlippedBitMakesTheSegmentCorruptAndNamedInTheError() {
    byte[] sealed = IndexSegmentCodec.encode(keys, segmentId, threePacks());
    for (int pos : new int[] {0, 12, 13, sealed.length / 3, sealed.length - 16, sealed.length - 1}) {
      byte[] damaged = sealed.clone();
      damaged[pos] ^= (byte) 0x80;
      CorruptObjectException e = assertThrows(CorruptObjectException.class,
          () -> IndexSegmentCodec.decode(keys, segmentId, damaged), "byte " + pos);
      assertTrue(e.getMessage().contains("index segment " + segmentId), e.getMessage());
    }
  }

  @Test
  void segmentDecodedUnderAnotherIdFails() {
    byte[] sealed = IndexSegmentCodec.encode(keys, segmentId, threePacks());
    String other = ObjectIds.newId();
    CorruptObjectException e = assertThrows(CorruptObjectException.class,
        () -> IndexSegmentCodec.decode(keys, other, sealed));
    assertTrue(e.getMessage().contains("index segment " + other), e.getMessage());
  }

  @Test
  void segmentOfAnotherVaultFails() {
    byte[] sealed = IndexSegmentCodec.encode(keys, segmentId, threePacks());
    VaultKeys other = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    assertThrows(CorruptObjectException.class, () -> IndexSegmentCodec.decode(other, segmentId, sealed));
  }

  @Test
  void packHeaderCannotBeReadAsAnIndexSegmentOfTheSameId() {
    // Objects of different kinds are sealed under different AAD prefixes, so one cannot pass for another.
    String id = ObjectIds.newId();
    List<IndexEntry> entries = List.of(entry(id, 0));
    byte[] tail = PackCodec.headerAndTrailer(keys, id, entries);
    byte[] header = Arrays.copyOf(tail, tail.length - PackCodec.TRAILER_BYTES);
    assertThrows(CorruptObjectException.class, () -> IndexSegmentCodec.decode(keys, id, header));
  }
}
