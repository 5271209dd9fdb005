package dev.vaultgate.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.vault.backup.ChangedExtents;
import dev.vaultgate.vault.backup.ChangedExtents.Extent;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.Manifest;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadPlanTest {
  private static final int BLOCK = 64 * 1024;
  private static final long SIZE = 16L * BLOCK;

  private static Manifest previousWithBlocks(long... blocks) {
    DiskBlocks.Builder b = DiskBlocks.builder("scsi0:0", SIZE, BLOCK);
    for (long block : blocks) {
      b.add(block, new byte[DiskBlocks.ID], 0, new byte[DiskBlocks.FP], 0);
    }
    return new Manifest("0".repeat(32), 1, null, "{}", List.of(b.build()));
  }

  @Test
  void fullReadWithoutAPreviousPointReadsOnlyTheAreasInUseAgainstAnEmptyDisk() {
    ChangedExtents inUse = ChangedExtents.of(List.of(new Extent(0, BLOCK), new Extent(5L * BLOCK, 2L * BLOCK)));
    ReadPlan plan = ReadPlan.full(null, "scsi0:0", inUse, SIZE, BLOCK, "first backup");
    assertSame(inUse, plan.extents());
    assertNull(plan.baseline().id(), "no parent");
    DiskBlocks empty = plan.baseline().disk("scsi0:0");
    assertEquals(SIZE, empty.size());
    assertEquals(0, empty.entryCount());
    assertTrue(plan.fullRead());
    assertEquals("*", plan.since());
  }

  @Test
  void fullReadWithAPreviousPointAlsoReadsTheBlocksItHeld() {
    Manifest previous = previousWithBlocks(1, 2, 9);
    ChangedExtents inUse = ChangedExtents.of(List.of(new Extent(0, 2L * BLOCK)));
    ReadPlan plan = ReadPlan.full(previous, "scsi0:0", inUse, SIZE, BLOCK, "changeId rejected");
    assertSame(previous, plan.baseline());
    assertEquals(List.of(new Extent(0, 3L * BLOCK), new Extent(9L * BLOCK, BLOCK)), plan.extents().extents(),
        "a block freed since the previous point is read (as zeros), not kept");
  }

  @Test
  void incrementalReadBuildsOnThePreviousPoint() {
    Manifest previous = previousWithBlocks(1);
    ChangedExtents changed = ChangedExtents.of(List.of(new Extent(3L * BLOCK, BLOCK)));
    ReadPlan plan = ReadPlan.incremental(previous, changed, "52 aa/3");
    assertSame(previous, plan.baseline());
    assertSame(changed, plan.extents());
    assertEquals("52 aa/3", plan.since());
    assertNull(plan.reason());
  }
}
