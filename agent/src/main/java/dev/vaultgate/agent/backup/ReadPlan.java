package dev.vaultgate.agent.backup;

import dev.vaultgate.vault.backup.ChangedExtents;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.Manifest;
import java.util.ArrayList;
import java.util.List;

/**
 * What a disk's backup reads and what it builds on: the baseline the vault engine compares with, and the byte
 * ranges to read. Blocks outside the ranges are taken from the baseline as they are.
 *
 * @param baseline    the manifest the engine treats as the previous point (the real previous point, or an empty
 *                    disk of the same size when there is none)
 * @param extents     the ranges to read
 * @param since       the changeId the areas were asked from, or "*"
 * @param fullRead    whether every area in use is read (no usable changeId)
 * @param reason      why the read is full, or null
 */
public record ReadPlan(Manifest baseline, ChangedExtents extents, String since, boolean fullRead, String reason) {

  /** Read what changed since the previous point's changeId; everything else is the previous point's. */
  public static ReadPlan incremental(Manifest previous, ChangedExtents changed, String since) {
    return new ReadPlan(previous, changed, since, false, null);
  }

  /**
   * Read every area in use ({@code inUse}, from "*"). With a previous point, also the blocks it holds: a block that
   * held data then and is unused now must be read (as zeros) rather than kept from the previous point. Unchanged
   * blocks are still recognised by fingerprint and not stored again. Without one, the baseline is an empty disk,
   * so unused areas are stored as sparse without being read.
   */
  public static ReadPlan full(Manifest previous, String diskName, ChangedExtents inUse, long capacity, int blockSize, String reason) {
    DiskBlocks prev = previous == null ? null : previous.disk(diskName);
    if (prev == null || prev.blockSize() != blockSize) {
      Manifest empty = new Manifest(null, 0, null, "{}", List.of(DiskBlocks.builder(diskName, capacity, blockSize).build()));
      return new ReadPlan(empty, inUse, ChangedBlockSource.ALL, true, reason);
    }
    List<ChangedExtents.Extent> union = new ArrayList<>(inUse.extents());
    for (int i = 0; i < prev.entryCount(); i++) {
      union.add(new ChangedExtents.Extent(prev.blockAt(i) * blockSize, prev.lengthOf(prev.blockAt(i))));
    }
    return new ReadPlan(previous, ChangedExtents.of(union), ChangedBlockSource.ALL, true, reason);
  }
}
