package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.repo.ChunkIndex;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The indexed chunks that recovery points reference, as a bit per index entry ({@link ChunkIndex#entryNumber}), and
 * their stored bytes per pack: what both gcs decide from. Its memory grows with the packs, not with the chunks of the
 * vault. Blocking CPU work (it reads every point's block table): build it on a worker.
 */
final class LiveChunks {
  final ChunkIndex index;
  /** The live entries, by entry number. */
  final BitSet live;
  /** Stored bytes of the live chunks of each pack that has any. */
  final Map<String, Long> bytesByPack = new HashMap<>();
  /** Indexed chunks no point references. */
  final int dead;

  private LiveChunks(ChunkIndex index, List<Manifest> points) {
    this.index = index;
    live = new BitSet(index.size());
    byte[] id = new byte[DiskBlocks.ID];
    for (Manifest m : points) {
      for (DiskBlocks d : m.disks()) {
        for (int i = 0; i < d.entryCount(); i++) {
          d.chunkIdAt(i, id, 0);
          int e = index.entryNumber(id, 0);
          if (e >= 0) {
            live.set(e);
          }
        }
      }
    }
    for (int e = live.nextSetBit(0); e >= 0; e = live.nextSetBit(e + 1)) {
      bytesByPack.merge(index.packIdAt(e), (long) index.lengthAt(e), Long::sum);
    }
    dead = index.size() - live.cardinality();
  }

  static LiveChunks of(ChunkIndex index, List<Manifest> points) {
    return new LiveChunks(index, points);
  }

  /** The live entries of {@code packs}, by pack (a pack without live chunks has none). */
  Map<String, List<IndexEntry>> entriesOf(Set<String> packs) {
    Map<String, List<IndexEntry>> byPack = new HashMap<>();
    if (packs.isEmpty()) {
      return byPack;
    }
    for (int e = live.nextSetBit(0); e >= 0; e = live.nextSetBit(e + 1)) {
      String pack = index.packIdAt(e);
      if (packs.contains(pack)) {
        byPack.computeIfAbsent(pack, k -> new ArrayList<>()).add(index.entryAt(e));
      }
    }
    return byPack;
  }
}
