package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.ChunkEncoding;
import dev.vaultgate.vault.format.IndexEntry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackRangesTest {
  private static final Function<IndexEntry, IndexEntry> SELF = e -> e;

  private static IndexEntry chunk(String pack, int offset, int length, int raw) {
    return new IndexEntry(new byte[32], pack, offset, length, raw, ChunkEncoding.RAW);
  }

  @Test
  void neighboursInOnePackBecomeOneReadInOffsetOrder() {
    IndexEntry a = chunk("p1", 0, 100, 100);
    IndexEntry b = chunk("p1", 100, 50, 80);
    IndexEntry c = chunk("p1", 160, 40, 40);
    List<PackRanges.Range<IndexEntry>> ranges = PackRanges.plan(List.of(c, a, b), SELF, new PackRanges.Limits(16, 1 << 20, 1 << 20));
    assertEquals(1, ranges.size());
    PackRanges.Range<IndexEntry> r = ranges.get(0);
    assertEquals("p1", r.packId());
    assertEquals(0, r.start());
    assertEquals(200, r.length());
    assertEquals(220, r.rawBytes());
    assertEquals(List.of(a, b, c), r.items());
  }

  @Test
  void aGapWiderThanTheLimitSplitsTheRead() {
    IndexEntry a = chunk("p1", 0, 100, 100);
    IndexEntry b = chunk("p1", 117, 100, 100);
    List<PackRanges.Range<IndexEntry>> ranges = PackRanges.plan(List.of(a, b), SELF, new PackRanges.Limits(16, 1 << 20, 1 << 20));
    assertEquals(2, ranges.size());
    assertEquals(117, ranges.get(1).start());
    assertEquals(1, PackRanges.plan(List.of(a, b), SELF, new PackRanges.Limits(17, 1 << 20, 1 << 20)).size());
  }

  @Test
  void readsStayWithinTheLengthAndRawLimitsAndChunksOfDifferentPacksAreNeverJoined() {
    IndexEntry a = chunk("p1", 0, 100, 300);
    IndexEntry b = chunk("p1", 100, 100, 300);
    IndexEntry c = chunk("p2", 200, 100, 100);
    assertEquals(3, PackRanges.plan(List.of(a, b, c), SELF, new PackRanges.Limits(0, 150, 1 << 20)).size());
    assertEquals(3, PackRanges.plan(List.of(a, b, c), SELF, new PackRanges.Limits(0, 1 << 20, 500)).size());
    List<PackRanges.Range<IndexEntry>> joined = PackRanges.plan(List.of(a, b, c), SELF, new PackRanges.Limits(0, 200, 600));
    assertEquals(2, joined.size());
    assertEquals("p1", joined.get(0).packId());
    assertEquals("p2", joined.get(1).packId());
  }

  @Test
  void aChunkLargerThanTheLimitsIsReadAlone() {
    IndexEntry big = chunk("p1", 0, 1000, 1000);
    List<PackRanges.Range<IndexEntry>> ranges = PackRanges.plan(List.of(big), SELF, new PackRanges.Limits(0, 10, 10));
    assertEquals(1, ranges.size());
    assertEquals(1000, ranges.get(0).length());
  }

  @Test
  void randomChunksAreEachReadOnceInsideTheirRangeAndWithinLimits() {
    Random random = new Random(7);
    List<IndexEntry> entries = new ArrayList<>();
    for (int p = 0; p < 5; p++) {
      int offset = 0;
      for (int i = 0; i < 200; i++) {
        offset += random.nextInt(3) == 0 ? random.nextInt(5000) : 0;
        int length = 1 + random.nextInt(4000);
        if (random.nextBoolean()) {
          entries.add(chunk("p" + p, offset, length, length + random.nextInt(8000)));
        }
        offset += length;
      }
    }
    PackRanges.Limits limits = new PackRanges.Limits(1024, 32 * 1024, 48 * 1024);
    Set<IndexEntry> seen = new HashSet<>();
    for (PackRanges.Range<IndexEntry> r : PackRanges.plan(entries, SELF, limits)) {
      assertTrue(r.length() <= limits.maxLength() || r.items().size() == 1, "read too long: " + r.length());
      assertTrue(r.rawBytes() <= limits.maxRawBytes() || r.items().size() == 1, "too much plaintext: " + r.rawBytes());
      long previousEnd = -1;
      for (IndexEntry e : r.items()) {
        assertEquals(r.packId(), e.packId());
        assertTrue(e.offset() >= r.start() && e.offset() + e.length() <= r.start() + r.length());
        assertTrue(previousEnd < 0 || e.offset() - previousEnd <= limits.maxGap(), "gap too wide");
        previousEnd = e.offset() + e.length();
        assertTrue(seen.add(e), "read twice");
      }
    }
    assertEquals(entries.size(), seen.size());
  }

  @Test
  void limitsMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new PackRanges.Limits(-1, 10, 10));
    assertThrows(IllegalArgumentException.class, () -> new PackRanges.Limits(0, 0, 10));
  }
}
