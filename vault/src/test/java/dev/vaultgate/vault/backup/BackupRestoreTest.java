package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.Repository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backup then restore is byte-identical, on a directory vault and on a real S3 server alike. */
class BackupRestoreTest {
  private static final int BLOCK = EngineFixture.BLOCK;

  @TempDir
  Path tmp;
  private EngineFixture vault;

  @AfterEach
  void close() {
    if (vault != null) {
      vault.close();
    }
  }

  private EngineFixture vault(String kind) throws IOException {
    vault = EngineFixture.on(kind, tmp);
    vault.init().close();
    return vault;
  }

  private void assertRoundTrip(String kind, byte[] image) throws IOException {
    EngineFixture v = vault(kind);
    Path source = Files.write(tmp.resolve("disk.img"), image);
    BackupResult b = v.backup(source);
    assertEquals(image.length, b.bytesRead());
    Path target = tmp.resolve("restored.img");
    v.restore(b.recoveryPointId(), target);
    assertArrayEquals(image, Files.readAllBytes(target));
    assertTrue(Files.notExists(tmp.resolve("restored.img.vaultgate-partial")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "s3"})
  void mixedImageOfOddSizeRestoresByteIdentical(String kind) throws IOException {
    assertRoundTrip(kind, EngineFixture.mixedImage(7, 37 * BLOCK + 12345));
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "s3"})
  void randomImageLargerThanAPackRestoresByteIdentical(String kind) throws IOException {
    byte[] image = new byte[20 * 1024 * 1024 + 3];
    new Random(3).nextBytes(image);
    assertRoundTrip(kind, image);
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "s3"})
  void emptyFileRestoresAsEmptyFile(String kind) throws IOException {
    assertRoundTrip(kind, new byte[0]);
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "s3"})
  void allZeroFileStoresNothingButRestoresItsSize(String kind) throws IOException {
    EngineFixture v = vault(kind);
    byte[] zeros = new byte[9 * BLOCK + 100];
    Path source = Files.write(tmp.resolve("zero.img"), zeros);
    BackupResult b = v.backup(source);
    assertEquals(0, b.bytesNew());
    assertEquals(10, b.blocksSparse());
    Path target = tmp.resolve("zero.out");
    v.restore(b.recoveryPointId(), target);
    assertArrayEquals(zeros, Files.readAllBytes(target));
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "s3"})
  void incrementalBackupUploadsOnlyChangedBlocks(String kind) throws IOException {
    EngineFixture v = vault(kind);
    byte[] image = new byte[64 * BLOCK];
    Random r = new Random(11);
    r.nextBytes(image);
    Path source = Files.write(tmp.resolve("disk.img"), image);
    BackupResult full = v.backup(source);
    assertEquals(64, full.chunksNew());

    int[] changed = {3, 17, 40};
    for (int block : changed) {
      byte[] fresh = new byte[BLOCK];
      r.nextBytes(fresh);
      System.arraycopy(fresh, 0, image, block * BLOCK, BLOCK);
    }
    Files.write(source, image);
    Manifest previous = v.point(full.recoveryPointId());
    BackupResult incr = v.backup(source, previous, null);

    assertEquals(3, incr.blocksChanged());
    assertEquals(3, incr.chunksNew());
    assertTrue(incr.bytesNew() < 4 * BLOCK, "new bytes " + incr.bytesNew() + " for 3 changed blocks");
    Path target = tmp.resolve("incr.img");
    v.restore(incr.recoveryPointId(), target);
    assertArrayEquals(image, Files.readAllBytes(target));
    Path older = tmp.resolve("full.img");
    v.restore(full.recoveryPointId(), older);
    assertEquals(64L * BLOCK, Files.size(older));
  }

  @ParameterizedTest
  @ValueSource(strings = {"file"})
  void changedExtentsReadOnlyTheListedRanges(String kind) throws IOException {
    EngineFixture v = vault(kind);
    byte[] image = EngineFixture.mixedImage(5, 100 * BLOCK);
    Path source = Files.write(tmp.resolve("disk.img"), image);
    BackupResult full = v.backup(source);

    Random r = new Random(2);
    List<ChangedExtents.Extent> extents = new ArrayList<>();
    for (int block : new int[] {0, 1, 50, 99}) {
      byte[] fresh = new byte[BLOCK];
      r.nextBytes(fresh);
      System.arraycopy(fresh, 0, image, block * BLOCK, BLOCK);
      extents.add(new ChangedExtents.Extent((long) block * BLOCK, BLOCK));
    }
    Files.write(source, image);
    BackupResult incr = v.backup(source, v.point(full.recoveryPointId()), ChangedExtents.of(extents));

    assertEquals(4L * BLOCK, incr.bytesRead());
    assertEquals(4, incr.chunksNew());
    Path target = tmp.resolve("out.img");
    v.restore(incr.recoveryPointId(), target);
    assertArrayEquals(image, Files.readAllBytes(target));
  }

  @ParameterizedTest
  @ValueSource(strings = {"file"})
  void changedExtentsCoverGrowthOfTheSource(String kind) throws IOException {
    EngineFixture v = vault(kind);
    byte[] image = EngineFixture.mixedImage(8, 10 * BLOCK + 77);
    Path source = Files.write(tmp.resolve("disk.img"), image);
    BackupResult full = v.backup(source);
    byte[] grown = EngineFixture.mixedImage(8, 13 * BLOCK + 5);
    System.arraycopy(image, 0, grown, 0, 10 * BLOCK);
    Files.write(source, grown);
    BackupResult incr = v.backup(source, v.point(full.recoveryPointId()), ChangedExtents.of(List.of()));
    Path target = tmp.resolve("out.img");
    v.restore(incr.recoveryPointId(), target);
    assertArrayEquals(grown, Files.readAllBytes(target));
  }

  @ParameterizedTest
  @ValueSource(strings = {"file"})
  void restoreInManySmallWindowsIsByteIdentical(String kind) throws IOException {
    EngineFixture v = vault(kind);
    byte[] image = EngineFixture.mixedImage(12, 90 * BLOCK + 4321);
    Path source = Files.write(tmp.resolve("disk.img"), image);
    BackupResult b = v.backup(source);
    Path target = tmp.resolve("windowed.img");
    v.restore(b.recoveryPointId(), target, RestoreJob.Options.defaults().withWindowBlocks(7));
    assertArrayEquals(image, Files.readAllBytes(target));
  }

  /** Chunks that interleave on the disk: each restored write takes blocks of several chunks, merged in disk order. */
  @ParameterizedTest
  @ValueSource(strings = {"file"})
  void aPatternOfManyBlocksRepeatedOverTheDiskRestoresByteIdentical(String kind) throws IOException {
    byte[] pattern = new byte[7 * BLOCK];
    new Random(5).nextBytes(pattern);
    byte[] image = new byte[50 * pattern.length + 3 * BLOCK + 100];
    for (int at = 0; at < image.length; at += pattern.length) {
      System.arraycopy(pattern, 0, image, at, Math.min(pattern.length, image.length - at));
    }
    image[image.length - 1] = 9; // a last, partial block of its own
    assertRoundTrip(kind, image);
  }

  /**
   * One block's content over long runs of the disk (a pattern fill): written from copies of the chunk laid side by
   * side, in pieces of up to RestoreJob's copy budget (16 copies at 64 KiB), not a write per block. A's runs are longer
   * than its copies; C comes after the budget is spent and is written a block at a time; zeros, another chunk and a
   * partial last block break the runs.
   */
  @ParameterizedTest
  @ValueSource(strings = {"file", "s3"})
  void aBlockRepeatedOverLongRunsRestoresByteIdentical(String kind) throws IOException {
    Random random = new Random(6);
    byte[] a = new byte[BLOCK];
    byte[] b = new byte[BLOCK];
    byte[] c = new byte[BLOCK];
    random.nextBytes(a);
    random.nextBytes(b);
    random.nextBytes(c);
    java.io.ByteArrayOutputStream image = new java.io.ByteArrayOutputStream();
    for (int[] run : new int[][] {{0, 40}, {1, 1}, {0, 3}, {-1, 5}, {0, 20}, {2, 30}, {0, 1}, {2, 2}}) {
      byte[] block = run[0] == 0 ? a : run[0] == 1 ? b : run[0] == 2 ? c : new byte[BLOCK];
      for (int i = 0; i < run[1]; i++) {
        image.write(block);
      }
    }
    image.write(a, 0, 100);
    assertRoundTrip(kind, image.toByteArray());
  }

  @ParameterizedTest
  @ValueSource(strings = {"file"})
  void duplicateBlocksAreStoredOnce(String kind) throws IOException {
    EngineFixture v = vault(kind);
    byte[] block = new byte[BLOCK];
    new Random(4).nextBytes(block);
    byte[] image = new byte[20 * BLOCK];
    for (int i = 0; i < 20; i++) {
      System.arraycopy(block, 0, image, i * BLOCK, BLOCK);
    }
    Path source = Files.write(tmp.resolve("dup.img"), image);
    BackupResult b = v.backup(source);
    assertEquals(1, b.chunksNew());
    Path target = tmp.resolve("dup.out");
    v.restore(b.recoveryPointId(), target);
    assertArrayEquals(image, Files.readAllBytes(target));
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "s3"})
  void checkWithReadDataPassesOnAHealthyVaultAndTellsItsProgress(String kind) throws IOException {
    EngineFixture v = vault(kind);
    Path source = Files.write(tmp.resolve("disk.img"), EngineFixture.mixedImage(9, 30 * BLOCK));
    v.backup(source);
    v.backup(Files.write(tmp.resolve("other.img"), EngineFixture.mixedImage(10, 30 * BLOCK))); // a second pack
    List<long[]> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Repository repo = v.open()) {
      CheckReport report = v.await(() -> VaultChecker.check(repo, true, (done, total) -> told.add(new long[] {done, total})));
      assertTrue(report.ok(), report.errors().toString());
      assertEquals(2, report.points());
      assertTrue(report.bytesVerified() > 0);
      assertTrue(told.size() >= 2, "told after each pack: " + told.size());
      for (int i = 1; i < told.size(); i++) {
        assertTrue(told.get(i)[0] >= told.get(i - 1)[0], "never backwards");
      }
      long[] last = told.get(told.size() - 1);
      assertEquals(report.bytesVerified(), last[0], "ends with every pack read");
      assertEquals(report.bytesVerified(), last[1], "out of the indexed packs' bytes");
    }
  }

  /**
   * Runs of zeros are read in larger pieces than data: blocks of data right after such runs, at every position
   * within a piece and at the ends of units, are each backed up, found again by the next incremental, and restored.
   */
  @Test
  void dataRightAfterRunsOfZerosIsBackedUpAndItsChangesFound() throws IOException {
    EngineFixture v = vault("file");
    int blocks = 3 * (BackupJob.UNIT_BYTES / BLOCK) + 5;
    int[] dataBlocks = {3, 4, 21, 22, 40, 63, 64, 65, 80, 127, 150, 191, blocks - 1};
    byte[] image = new byte[blocks * BLOCK - 777];
    Random random = new Random(31);
    for (int b : dataBlocks) {
      int at = b * BLOCK + random.nextInt(BLOCK / 2);
      int n = Math.min(1000 + random.nextInt(BLOCK / 2), image.length - at);
      byte[] data = new byte[n];
      random.nextBytes(data);
      System.arraycopy(data, 0, image, at, n);
    }
    Path source = Files.write(tmp.resolve("zero-runs.img"), image);
    BackupResult full = v.backup(source);
    assertEquals(dataBlocks.length, full.chunksNew(), "one chunk per block holding data");

    image[40 * BLOCK + 5] ^= 1; // one bit in a block after a zero run
    image[100 * BLOCK + 9] = 7; // one byte in the middle of a zero run
    Files.write(source, image);
    BackupResult next = v.backup(source, v.point(full.recoveryPointId()), null);
    assertEquals(2, next.blocksChanged());
    assertEquals(2, next.chunksNew());

    Path target = tmp.resolve("zero-runs.out");
    v.restore(next.recoveryPointId(), target);
    assertEquals(-1L, Files.mismatch(source, target));
  }

  @ParameterizedTest
  @ValueSource(strings = {"file"})
  void sparseSourceFileRestoresWithHoles(String kind) throws IOException {
    EngineFixture v = vault(kind);
    Path source = tmp.resolve("sparse.img");
    try (RandomAccessFile f = new RandomAccessFile(source.toFile(), "rw")) {
      f.setLength(1L << 30);
      f.seek(500L * BLOCK + 3);
      f.write("data in the middle of nothing".getBytes());
    }
    BackupResult b = v.backup(source);
    assertEquals(1, b.chunksNew());
    Path target = tmp.resolve("sparse.out");
    v.restore(b.recoveryPointId(), target);
    assertEquals(1L << 30, Files.size(target));
    assertEquals(-1L, Files.mismatch(source, target));
  }
}
