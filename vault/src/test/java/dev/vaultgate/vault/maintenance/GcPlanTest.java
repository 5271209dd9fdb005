package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.ChunkIndex;
import dev.vaultgate.vault.storage.ObjectInfo;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** gc's decisions from an index, points and stored packs, without a vault (pure logic). */
class GcPlanTest {
  private static final String A = "a".repeat(32);
  private static final String B = "b".repeat(32);
  private static final String C = "c".repeat(32);
  private static final String D = "d".repeat(32);
  private static final String E = "e".repeat(32);

  private static byte[] id(int n) {
    byte[] id = new byte[DiskBlocks.ID];
    Arrays.fill(id, (byte) n);
    id[0] = (byte) (n * 31); // spread over the table's slots
    return id;
  }

  private static IndexEntry entry(int n, String pack, int length) {
    return new IndexEntry(id(n), pack, n * 1000, length, length, (byte) 0);
  }

  private static Manifest point(int... chunks) {
    DiskBlocks.Builder b = DiskBlocks.builder("disk", 100L * 4096, 4096);
    byte[] fp = new byte[DiskBlocks.FP];
    for (int i = 0; i < chunks.length; i++) {
      b.add(i, id(chunks[i]), 0, fp, 0);
    }
    return new Manifest("0".repeat(32), 1, null, "{}", List.of(b.build()));
  }

  private static List<Integer> chunks(List<IndexEntry> entries) {
    return entries.stream().map(e -> (int) e.chunkId()[1]).toList();
  }

  @Test
  void packsAreKeptRepackedOrDeletedByTheirLiveBytesAndTheIndexKeepsOnlyLiveChunksOfKeptPacks() {
    try (ChunkIndex index = new ChunkIndex()) {
      index.addAll(List.of(entry(1, A, 100), entry(2, A, 100), entry(3, B, 100), entry(4, B, 300), entry(5, C, 50),
          entry(6, D, 10), entry(7, A, 20)));
      List<Manifest> points = List.of(point(1, 2, 3), point(2, 6, 7, 99)); // 99: in no index entry
      List<ObjectInfo> stored = List.of(new ObjectInfo(ObjectKeys.pack(A), 250), new ObjectInfo(ObjectKeys.pack(B), 500),
          new ObjectInfo(ObjectKeys.pack(C), 60), new ObjectInfo(ObjectKeys.pack(E), 70), new ObjectInfo("packs/README", 1));

      GcPlan plan = GcPlan.of(index, points, stored, 2);

      assertEquals(List.of(C, E), plan.delete, "no live chunk (E: in no index entry)");
      assertEquals(List.of(B), plan.repack, "100 live bytes of 500");
      assertEquals(Map.of(B, List.of(3)), Map.of(B, chunks(plan.repackEntries.get(B))));
      assertEquals(Map.of(B, 500L, C, 60L, E, 70L), plan.removedSizes);
      assertEquals(400 + 60 + 70, plan.bytesFreed);
      assertEquals(2, plan.deadChunks, "chunks 4 and 5");
      // Kept: A's live chunks 1, 2, 7 in segments of two; D's chunk 6 is live but its pack is not stored: dropped.
      assertEquals(List.of(List.of(1, 2), List.of(7)), plan.segments.stream().map(r -> chunks(plan.segment(r))).toList());
      assertFalse(plan.nothingToCollect());
    }
  }

  @Test
  void aVaultWhoseEveryChunkIsLiveInFullPacksHasNothingToCollect() {
    try (ChunkIndex index = new ChunkIndex()) {
      index.addAll(List.of(entry(1, A, 100), entry(2, A, 100)));
      GcPlan plan = GcPlan.of(index, List.of(point(1, 2)), List.of(new ObjectInfo(ObjectKeys.pack(A), 210)), 65_536);
      assertTrue(plan.nothingToCollect());
      assertEquals(List.of(List.of(1, 2)), plan.segments.stream().map(r -> chunks(plan.segment(r))).toList());
    }
  }
}
