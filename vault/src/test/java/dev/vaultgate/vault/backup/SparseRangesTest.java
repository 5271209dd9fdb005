package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.format.DiskBlocks;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The zero ranges a restore writes to a block device (a file gets holes instead). */
class SparseRangesTest {
  private static final int BS = 4096;

  private static List<String> sparseRanges(long size, long... blocks) throws IOException {
    DiskBlocks.Builder b = DiskBlocks.builder("disk", size, BS);
    for (long block : blocks) {
      b.add(block, new byte[DiskBlocks.ID], 0, new byte[DiskBlocks.FP], 0);
    }
    List<String> ranges = new ArrayList<>();
    try (DiskBlocks disk = b.build()) {
      RestoreJob.forEachSparseRange(disk, (start, end) -> ranges.add(start + "-" + end));
    }
    return ranges;
  }

  @Test
  void adjacentZeroBlocksAreOneRangeAndTheLastPartialBlockEndsAtTheDiskSize() throws IOException {
    // blocks 0 and 3 hold data; 1-2 and 4 (partial: the disk is 4.5 blocks) are zeros
    assertEquals(List.of("4096-12288", "16384-18432"), sparseRanges(4 * BS + BS / 2, 0, 3));
  }

  @Test
  void aDiskWithNoDataIsOneRangeAndAFullDiskHasNone() throws IOException {
    assertEquals(List.of("0-40960"), sparseRanges(10 * BS));
    assertEquals(List.of(), sparseRanges(3 * BS, 0, 1, 2));
    assertEquals(List.of(), sparseRanges(0));
  }

  @Test
  void leadingAndTrailingZerosAreRangesToo() throws IOException {
    assertEquals(List.of("0-8192", "12288-20480"), sparseRanges(5 * BS, 2));
  }
}
