package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the next index segments name: grouping by entries in store order, failed writes first in line again. */
class PendingPacksTest {
  private static PendingPacks.Pack pack(String id, int entries, Retention retention) {
    List<IndexEntry> list = new ArrayList<>();
    for (int i = 0; i < entries; i++) {
      byte[] chunk = new byte[32];
      chunk[0] = (byte) i;
      chunk[1] = (byte) id.hashCode();
      list.add(new IndexEntry(chunk, id, i * 100, 100, 100, (byte) 0));
    }
    return new PendingPacks.Pack(id, list, retention);
  }

  private static List<List<String>> ids(List<List<PendingPacks.Pack>> segments) {
    return segments.stream().map(s -> s.stream().map(PendingPacks.Pack::packId).toList()).toList();
  }

  @Test
  void addTellsWhenEnoughEntriesWaitForASegment() {
    PendingPacks pending = new PendingPacks();
    assertFalse(pending.add(pack("a", 4, null), 10));
    assertFalse(pending.add(pack("b", 5, null), 10));
    assertTrue(pending.add(pack("c", 1, null), 10));
  }

  @Test
  void takeGroupsWholePacksInStoreOrderUpToTheEntryLimit() {
    PendingPacks pending = new PendingPacks();
    pending.add(pack("a", 4, null), 10);
    pending.add(pack("b", 5, null), 10);
    pending.add(pack("c", 3, null), 10); // 12 > 10: starts the next segment
    pending.add(pack("big", 25, null), 10); // larger than a segment: one of its own
    pending.add(pack("d", 1, null), 10);

    assertEquals(List.of(List.of("a", "b"), List.of("c"), List.of("big"), List.of("d")), ids(pending.take(10)));
    assertEquals(Set.of("a", "b", "c", "big", "d"), pending.packIds(), "taken packs are pending until written");
    assertTrue(pending.take(10).isEmpty(), "nothing waits once all are taken");
  }

  @Test
  void writtenPacksLeaveAndUnwrittenOnesWaitAheadOfLaterOnes() {
    PendingPacks pending = new PendingPacks();
    pending.add(pack("a", 4, null), 10);
    pending.add(pack("b", 8, null), 10);
    List<List<PendingPacks.Pack>> segments = pending.take(10);
    pending.add(pack("c", 1, null), 10); // stored while the segments are written
    pending.written(segments.get(0));
    pending.unwritten(segments.subList(1, 2));

    assertEquals(Set.of("b", "c"), pending.packIds());
    assertEquals(List.of(List.of("b", "c")), ids(pending.take(10)), "the failed one first, then the later one");
  }

  @Test
  void clearForgetsWaitingAndWritingPacks() {
    PendingPacks pending = new PendingPacks();
    pending.add(pack("a", 4, null), 10);
    pending.take(10);
    pending.add(pack("b", 4, null), 10);

    assertEquals(List.of("a", "b"), pending.clear().stream().map(PendingPacks.Pack::packId).toList());
    assertTrue(pending.all().isEmpty());
    assertFalse(pending.add(pack("c", 9, null), 10), "the count of waiting entries starts again");
  }

  @Test
  void aSegmentIsRetainedAsLongAsItsLongestRetainedPack() {
    Instant t = Instant.parse("2031-01-01T00:00:00Z");
    Retention governanceLater = new Retention(RetentionMode.GOVERNANCE, t.plusSeconds(60));
    Retention complianceEarlier = new Retention(RetentionMode.COMPLIANCE, t);
    assertNull(PendingPacks.retentionOf(List.of(pack("a", 1, null))));
    assertEquals(new Retention(RetentionMode.COMPLIANCE, t.plusSeconds(60)),
        PendingPacks.retentionOf(List.of(pack("a", 1, governanceLater), pack("b", 1, null), pack("c", 1, complianceEarlier))));
  }
}
