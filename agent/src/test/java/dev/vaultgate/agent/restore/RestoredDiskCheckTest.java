package dev.vaultgate.agent.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.vault.format.BlockFingerprint;
import dev.vaultgate.vault.format.DiskBlocks;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The restored disk against the checksums of its backup, as pure logic: a disk table built the way a backup
 * builds one (a keyed fingerprint per non-zero block, zero blocks absent), then the restored bytes read back.
 */
class RestoredDiskCheckTest {
  static final int BLOCK = 4096;
  static final BlockFingerprint FP = new BlockFingerprint(new long[] {1, 2, 3, 4});

  /** A 10-block-and-a-bit disk with blocks 2, 3 and the tail zero. */
  static byte[] disk() {
    byte[] d = new byte[10 * BLOCK + 100];
    new Random(9).nextBytes(d);
    Arrays.fill(d, 2 * BLOCK, 4 * BLOCK, (byte) 0);
    Arrays.fill(d, 10 * BLOCK, d.length, (byte) 0);
    return d;
  }

  /** What a backup of {@code d} records. */
  static DiskBlocks backupOf(byte[] d) {
    DiskBlocks.Builder b = DiskBlocks.builder("disk0", d.length, BLOCK);
    for (long block = 0; block * BLOCK < d.length; block++) {
      int off = (int) (block * BLOCK);
      int len = Math.min(BLOCK, d.length - off);
      byte[] piece = Arrays.copyOfRange(d, off, off + len);
      if (Arrays.equals(piece, new byte[len])) {
        continue;
      }
      b.add(block, new byte[DiskBlocks.ID], 0, FP.fingerprint(piece, 0, len), 0);
    }
    return b.build();
  }

  static RestoredDiskCheck.Reader reading(byte[] d) {
    return (position, buf, off, len) -> {
      if (position >= d.length) {
        return -1;
      }
      int n = (int) Math.min(len, d.length - position);
      System.arraycopy(d, (int) position, buf, off, n);
      return n;
    };
  }

  @Test
  void anIdenticalRestoreMatchesEveryBlockAndAnswersItsSha256() throws Exception {
    byte[] d = disk();
    RestoredDiskCheck.Result r = RestoredDiskCheck.check(backupOf(d), FP, reading(d));
    assertTrue(r.ok(), r.describe());
    assertEquals(11, r.blocks());
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(d)), r.sha256());
    assertTrue(r.describe().contains("all 11 blocks match"), r.describe());
  }

  @Test
  void oneFlippedBitInADataBlockIsFoundAndNamed() throws Exception {
    byte[] d = disk();
    DiskBlocks backup = backupOf(d);
    byte[] restored = d.clone();
    restored[7 * BLOCK + 5] ^= 1;
    RestoredDiskCheck.Result r = RestoredDiskCheck.check(backup, FP, reading(restored));
    assertFalse(r.ok());
    assertEquals(1, r.mismatches());
    assertEquals(List.of(7L), r.mismatched());
    assertTrue(r.describe().contains("1 of 11 blocks differ"), r.describe());
  }

  @Test
  void dataWhereTheBackupHadZerosIsAMismatch() throws Exception {
    byte[] d = disk();
    DiskBlocks backup = backupOf(d);
    byte[] restored = d.clone();
    restored[3 * BLOCK] = 1; // a sparse block of the backup
    restored[d.length - 1] = 1; // the short zero tail
    RestoredDiskCheck.Result r = RestoredDiskCheck.check(backup, FP, reading(restored));
    assertEquals(List.of(3L, 10L), r.mismatched());
  }

  @Test
  void readingAheadInWindowsThatCutBlocksGivesTheSameVerdicts() throws Exception {
    byte[] d = disk();
    DiskBlocks backup = backupOf(d);
    int[] calls = {0};
    RestoredDiskCheck.Reader counted = (position, buf, off, len) -> {
      calls[0]++;
      return reading(d).read(position, buf, off, len);
    };
    RestoredDiskCheck.Result r = RestoredDiskCheck.check(backup, FP, RestoredDiskCheck.readingAhead(counted, 3 * BLOCK + 7));
    assertTrue(r.ok(), r.describe());
    assertTrue(calls[0] <= 6, "one read per window, not per block: " + calls[0]);
    byte[] restored = d.clone();
    restored[9 * BLOCK] ^= 4;
    assertEquals(List.of(9L), RestoredDiskCheck.check(backup, FP,
        RestoredDiskCheck.readingAhead(reading(restored), 3 * BLOCK + 7)).mismatched());
  }

  @Test
  void aRestoredDiskShorterThanTheBackupFails() {
    byte[] d = disk();
    DiskBlocks backup = backupOf(d);
    IOException e = assertThrows(IOException.class,
        () -> RestoredDiskCheck.check(backup, FP, reading(Arrays.copyOf(d, 5 * BLOCK))));
    assertTrue(e.getMessage().contains("shorter than the backup"), e.getMessage());
  }
}
