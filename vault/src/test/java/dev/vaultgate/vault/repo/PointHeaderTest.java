package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ManifestCodec;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.format.PointHeader;
import dev.vaultgate.vault.testing.CountingReads;
import dev.vaultgate.vault.testing.EngineFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Listing points reads each manifest's first frame, not the manifest: a point of a large disk has a manifest of
 * hundreds of megabytes. On the file store, with the bytes read of points/ counted.
 */
class PointHeaderTest {
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
  void aLargePointsHeaderIsReadFromItsFirstFrameAndASmallOnesWhole() throws IOException {
    vault = EngineFixture.onFiles(dir);
    vault.init().close();
    Manifest large = manifest(120_000);
    Manifest small = manifest(10);
    vault.withRepo(repo -> repo.storePoint(large).compose(v -> repo.storePoint(small)));
    long largeBytes = Files.size(dir.resolve("vault").resolve("points").resolve(large.id()));
    assertTrue(largeBytes > 4 * ManifestCodec.FIRST_FRAME_BYTES, largeBytes + " bytes");

    CountingReads reads = new CountingReads(vault.storage, "points/");
    vault.wrap(s -> reads);
    assertEquals(PointHeader.of(large), vault.withRepo(repo -> repo.loadPointHeader(large.id())));
    assertEquals(ManifestCodec.FIRST_FRAME_BYTES, reads.bytes.get(), "the first frame only");
    assertEquals(1, reads.rangedReads.get());

    reads.bytes.set(0);
    List<PointHeader> all = vault.withRepo(Repository::loadAllPointHeaders);
    // both ids are made in the same millisecond here, so their listing order is not their making order
    assertEquals(Set.of(PointHeader.of(large), PointHeader.of(small)), Set.copyOf(all));
    assertEquals(2, all.size());
    long smallBytes = Files.size(dir.resolve("vault").resolve("points").resolve(small.id()));
    assertEquals(ManifestCodec.FIRST_FRAME_BYTES + smallBytes, reads.bytes.get(), "the small one whole");
  }

  /** A point of one disk of {@code blocks} blocks with made-up chunks (a header is read without the index). */
  private static Manifest manifest(int blocks) {
    Random random = new Random(blocks);
    DiskBlocks.Builder disk = DiskBlocks.builder("disk0", (long) blocks * 2 * VaultSettings.DEFAULT_BLOCK_SIZE,
        VaultSettings.DEFAULT_BLOCK_SIZE);
    byte[] id = new byte[DiskBlocks.ID];
    byte[] fp = new byte[DiskBlocks.FP];
    for (int i = 0; i < blocks; i++) {
      random.nextBytes(id);
      random.nextBytes(fp);
      disk.add(2L * i, id, 0, fp, 0);
    }
    return new Manifest(ObjectIds.newId(), 1_750_000_000_000L + blocks, null, "{\"source\":\"/dev/sdb\"}", List.of(disk.build()));
  }
}
