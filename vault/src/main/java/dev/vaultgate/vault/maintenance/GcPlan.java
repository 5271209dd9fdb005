package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.ChunkIndex;
import dev.vaultgate.vault.storage.ObjectInfo;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a gc of an unlocked vault does, decided from the index, the points and the stored packs: which packs go,
 * which are repacked, and the index segments that name the live chunks of the packs kept. Its memory does not grow
 * with the chunks of the vault: the live set is a bit per index entry ({@link LiveChunks}), and only the
 * live entries of the packs to repack, and those of one new segment at a time ({@link #segment}), are held as
 * entries. Blocking CPU work: build it and read its segments on a worker.
 */
final class GcPlan {
  private final ChunkIndex index;
  private final BitSet liveKept = new BitSet(); // live entries of the packs kept: what the new segments name
  final List<String> delete = new ArrayList<>();
  final List<String> repack = new ArrayList<>();
  /** The live entries of each pack to repack. */
  final Map<String, List<IndexEntry>> repackEntries;
  /** Stored bytes of each pack deleted or repacked: what progress counts. */
  final Map<String, Long> removedSizes = new HashMap<>();
  /** Entry numbers {@code [from, to)} of each new index segment. */
  final List<int[]> segments = new ArrayList<>();
  final int deadChunks;
  final long bytesFreed;

  private GcPlan(ChunkIndex index, List<Manifest> points, List<ObjectInfo> packObjects, int segmentEntries) {
    this.index = index;
    int n = index.size();
    LiveChunks liveChunks = LiveChunks.of(index, points);
    BitSet live = liveChunks.live;
    Map<String, Long> liveBytes = liveChunks.bytesByPack;
    deadChunks = liveChunks.dead;
    Set<String> kept = new HashSet<>();
    long freed = 0;
    for (ObjectInfo o : packObjects) {
      String pack = ObjectKeys.idOf(o.key());
      if (pack == null) {
        continue;
      }
      Long bytes = liveBytes.get(pack);
      if (bytes == null) {
        delete.add(pack);
        removedSizes.put(pack, o.size());
        freed += o.size();
      } else if (bytes < o.size() * GarbageCollector.REPACK_BELOW) {
        repack.add(pack);
        removedSizes.put(pack, o.size());
        freed += o.size() - bytes;
      } else {
        kept.add(pack);
      }
    }
    bytesFreed = freed;
    repackEntries = liveChunks.entriesOf(new HashSet<>(repack));
    int inSegment = 0;
    int segmentStart = 0;
    for (int e = live.nextSetBit(0); e >= 0; e = live.nextSetBit(e + 1)) {
      if (kept.contains(index.packIdAt(e))) { // a live entry of a pack repacked, deleted or not stored is dropped
        liveKept.set(e);
        if (++inSegment == segmentEntries) {
          segments.add(new int[] {segmentStart, e + 1});
          segmentStart = e + 1;
          inSegment = 0;
        }
      }
    }
    if (inSegment > 0) {
      segments.add(new int[] {segmentStart, n});
    }
  }

  static GcPlan of(ChunkIndex index, List<Manifest> points, List<ObjectInfo> packObjects, int segmentEntries) {
    return new GcPlan(index, points, packObjects, segmentEntries);
  }

  /** Whether there is nothing to delete, repack or drop from the index. */
  boolean nothingToCollect() {
    return delete.isEmpty() && repack.isEmpty() && deadChunks == 0;
  }

  /** The entries of new index segment {@code range} ({@link #segments}): the live entries of kept packs in it. */
  List<IndexEntry> segment(int[] range) {
    List<IndexEntry> entries = new ArrayList<>();
    for (int e = liveKept.nextSetBit(range[0]); e >= 0 && e < range[1]; e = liveKept.nextSetBit(e + 1)) {
      entries.add(index.entryAt(e));
    }
    return entries;
  }
}
