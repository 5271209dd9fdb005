package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.testing.CountingReads;
import dev.vaultgate.vault.testing.EngineFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gc repacks a mostly-garbage pack by reading only its live chunks: a whole pack on the heap beside the pack being
 * filled was what a gc in a small heap ran out on. On the file store, with the bytes read from packs counted.
 */
class RepackTest {
  private static final int PACK = 1 << 20;
  private static final int BLOCK = VaultSettings.DEFAULT_BLOCK_SIZE;

  @TempDir
  Path dir;
  private EngineFixture vault;

  @AfterEach
  void close() {
    if (vault != null) {
      vault.close();
    }
  }

  @Test
  void aRepackReadsOnlyTheLiveChunksOfThePackAndTheRemainingPointRestores() throws IOException {
    vault = EngineFixture.onFiles(dir);
    vault.init(new VaultSettings(BLOCK, PACK)).close();
    byte[] first = random(1, 4 * PACK);
    String a = vault.backup(Files.write(dir.resolve("a"), first)).recoveryPointId();
    // B shares A's first 4 blocks (a quarter of a pack), the rest is new: once A is gone, the pack holding those 4
    // blocks is mostly garbage and is repacked.
    byte[] second = random(2, 2 * PACK);
    System.arraycopy(first, 0, second, 0, 4 * BLOCK);
    String b = vault.backup(Files.write(dir.resolve("b"), second)).recoveryPointId();
    vault.withRepo(repo -> repo.deletePoint(a));

    CountingReads reads = new CountingReads(vault.storage, "packs/");
    vault.wrap(s -> reads);
    GcReport report = vault.withRepo(GarbageCollector::collect);
    assertEquals(1, report.packsRepacked(), report.toString());
    assertEquals(0, reads.wholeReads.get(), "no pack read whole");
    assertTrue(reads.bytes.get() > 4L * BLOCK && reads.bytes.get() < PACK / 2,
        "read about the 4 live blocks, not the pack: " + reads.bytes.get() + " bytes");

    assertTrue(vault.withRepo(repo -> VaultChecker.check(repo, true)).ok());
    Path restored = dir.resolve("restored");
    vault.restore(b, restored);
    assertArrayEquals(second, Files.readAllBytes(restored));
  }

  private static byte[] random(long seed, int size) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }
}
