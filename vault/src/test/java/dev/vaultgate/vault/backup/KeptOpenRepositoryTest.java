package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.copy.CopyJob;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.GarbageCollector;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.maintenance.GcReport;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.storage.FileVaultStorage;
import dev.vaultgate.vault.storage.ForwardingVaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A repository kept open across backups (the appliance keeps one for its local volumes for as long as it runs) sees,
 * at each job, what other processes did to the vault since it was opened: index segments they wrote, which a gc must
 * count as live, chunks a gc removed, which a backup (or a copy into it) must store again rather than name in a
 * manifest, and chunks a gc moved into new packs, where a restore must look for them.
 */
class KeptOpenRepositoryTest {
  @TempDir
  Path tmp;
  private EngineFixture vault;
  private byte[] image;
  private Path disk;

  @BeforeEach
  void setUp() throws IOException {
    vault = EngineFixture.onFiles(tmp);
    vault.init().close();
    image = new byte[20 * EngineFixture.BLOCK + 321];
    new Random(11).nextBytes(image);
    disk = Files.write(tmp.resolve("disk.img"), image);
  }

  @AfterEach
  void tearDown() {
    vault.close();
  }

  private BackupResult backUp(Repository repo) {
    return vault.backup(repo, disk, BackupJob.Options.defaults("disk0"));
  }

  /**
   * A second disk that shares its first four blocks with {@link #disk}: once the first disk's point is forgotten, those
   * four chunks are all that stays live in the first point's pack, which a gc then repacks.
   */
  private Path otherDisk() throws IOException {
    byte[] other = new byte[40 * EngineFixture.BLOCK];
    new Random(12).nextBytes(other);
    System.arraycopy(image, 0, other, 0, 4 * EngineFixture.BLOCK);
    return Files.write(tmp.resolve("other.img"), other);
  }

  @Test
  void aGcThroughARepositoryOpenedBeforeAnotherProcessBackedUpKeepsThatBackupsPacks() throws IOException {
    BackupResult point;
    try (Repository collector = vault.open()) { // opened first: its index has none of the packs below
      try (Repository other = vault.open()) { // another process backs up meanwhile, and its lock is gone
        point = backUp(other);
      }
      GcReport gc = vault.await(() -> GarbageCollector.collect(collector));
      assertEquals(0, gc.packsDeleted(), "the new point's packs are live: " + gc);
    }
    Path restored = tmp.resolve("restored.img");
    vault.restore(point.recoveryPointId(), restored);
    assertArrayEquals(image, Files.readAllBytes(restored));
  }

  @Test
  void aCheckThroughARepositoryOpenedBeforeAnotherProcessBackedUpFindsThatPointWhole() {
    try (Repository checker = vault.open()) {
      try (Repository other = vault.open()) {
        backUp(other);
      }
      CheckReport report = vault.await(() -> VaultChecker.check(checker, true));
      assertTrue(report.ok(), report.errors().toString());
      assertEquals(1, report.points());
    }
  }

  @Test
  void chunksThatAGcRemovedWhileTheRepositoryWasOpenAreStoredAgainNotReused() throws IOException {
    BackupResult second;
    try (Repository kept = vault.open()) {
      BackupResult first = backUp(kept);
      assertEquals(21, first.chunksNew());
      try (Repository other = vault.open()) { // another process: the point is forgotten and its data collected
        vault.await(() -> other.deletePoint(first.recoveryPointId()));
        GcReport gc = vault.await(() -> GarbageCollector.collect(other));
        assertTrue(gc.packsDeleted() >= 1, gc.toString());
      }
      second = backUp(kept);
      assertEquals(21, second.chunksNew(), "every chunk stored again, none named from the index as it was at open");
    }
    Path restored = tmp.resolve("restored.img");
    vault.restore(second.recoveryPointId(), restored);
    assertArrayEquals(image, Files.readAllBytes(restored));
  }

  @Test
  void aRestoreThroughARepositoryKeptOpenAcrossAGcThatRepackedFindsTheChunksInTheirNewPacks() throws IOException {
    String first = vault.backup(disk).recoveryPointId();
    Path other = otherDisk();
    String second = vault.backup(other).recoveryPointId();
    Path restored = tmp.resolve("restored.img");
    try (Repository kept = vault.open()) {
      try (Repository gcProcess = vault.open()) {
        vault.await(() -> gcProcess.deletePoint(first));
        GcReport gc = vault.await(() -> GarbageCollector.collect(gcProcess));
        assertTrue(gc.packsRepacked() >= 1, gc.toString());
      }
      vault.await(() -> kept.loadPoint(second).compose(m -> RestoreJob.run(kept, m, restored, RestoreJob.Options.defaults())));
    }
    assertArrayEquals(Files.readAllBytes(other), Files.readAllBytes(restored));
  }

  @Test
  void aGcThatRepacksWhileARestoreRunsLeavesTheRestoreWhole() throws IOException {
    String first = vault.backup(disk).recoveryPointId();
    Path other = otherDisk();
    String second = vault.backup(other).recoveryPointId();
    vault.withRepo(repo -> repo.deletePoint(first));
    // The restore's first read of a pack runs a gc in another repository, and every read waits for it: the restore
    // planned its reads from the index as it was, and the pack that held the surviving chunks is gone by then.
    AtomicReference<Future<GcReport>> gc = new AtomicReference<>();
    AtomicInteger packsGone = new AtomicInteger();
    VaultStorage racing = new ForwardingVaultStorage(vault.storage) {
      @Override
      public Future<Integer> getRangeInto(String key, long offset, int length, byte[] into) {
        if (!key.startsWith(ObjectKeys.PACKS)) {
          return delegate.getRangeInto(key, offset, length, into);
        }
        synchronized (gc) {
          if (gc.get() == null) {
            gc.set(vault.vertx.executeBlocking(() -> {
              try (Repository gcProcess = vault.open()) {
                return vault.await(() -> GarbageCollector.collect(gcProcess));
              }
            }, false));
          }
        }
        return gc.get().compose(report -> delegate.getRangeInto(key, offset, length, into))
            .onFailure(e -> packsGone.incrementAndGet());
      }
    };
    Path restored = tmp.resolve("restored.img");
    try (Repository restoring = vault.await(() -> Repository.open(vault.vertx, racing, vault.key))) {
      vault.await(() -> restoring.loadPoint(second).compose(m -> RestoreJob.run(restoring, m, restored, RestoreJob.Options.defaults())));
    }
    assertTrue(gc.get().result().packsRepacked() >= 1, gc.get().result().toString());
    assertTrue(packsGone.get() >= 1, "the restore met a pack the gc had repacked");
    assertArrayEquals(Files.readAllBytes(other), Files.readAllBytes(restored));
  }

  @Test
  void aCopyIntoADestinationKeptOpenAcrossAGcStoresTheChunksTheGcRemovedAgain() throws IOException {
    String point = vault.backup(disk).recoveryPointId();
    VaultStorage destination = new FileVaultStorage(vault.vertx, Files.createDirectories(tmp.resolve("destination")));
    try {
      vault.await(() -> Repository.init(vault.vertx, destination, vault.key, VaultSettings.defaults())).close();
      try (Repository source = vault.open();
           Repository kept = vault.await(() -> Repository.open(vault.vertx, destination, vault.key))) {
        assertEquals(21, vault.await(() -> CopyJob.run(source, kept, point, CopyJob.Options.defaults())).chunksCopied());
        try (Repository other = vault.await(() -> Repository.open(vault.vertx, destination, vault.key))) {
          vault.await(() -> other.deletePoint(point));
          assertTrue(vault.await(() -> GarbageCollector.collect(other)).packsDeleted() >= 1);
        }
        assertEquals(21, vault.await(() -> CopyJob.run(source, kept, point, CopyJob.Options.defaults())).chunksCopied(),
            "every chunk written again into the destination");
      }
      Path restored = tmp.resolve("copy-restored.img");
      try (Repository fresh = vault.await(() -> Repository.open(vault.vertx, destination, vault.key))) {
        vault.await(() -> fresh.loadPoint(point).compose(m -> RestoreJob.run(fresh, m, restored, RestoreJob.Options.defaults())));
      }
      assertArrayEquals(image, Files.readAllBytes(restored));
    } finally {
      destination.close();
    }
  }

  @Test
  void segmentsThatAnotherProcessWroteSinceTheOpenServeDeduplication() {
    try (Repository kept = vault.open()) {
      BackupResult byOther = vault.backup(disk); // its own repository, opened and closed around the backup
      assertEquals(21, byOther.chunksNew());
      assertEquals(0, backUp(kept).chunksNew(), "the other process's chunks were found in the vault");
    }
  }
}
