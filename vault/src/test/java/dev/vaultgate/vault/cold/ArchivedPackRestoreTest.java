package dev.vaultgate.vault.cold;

import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.copy.CopyJob;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.ArchivedObjectException;
import dev.vaultgate.vault.storage.FileVaultStorage;
import dev.vaultgate.vault.testing.ArchiveTierStorage;
import dev.vaultgate.vault.testing.EngineFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Restore from an archive class (DEEP_ARCHIVE): the restore asks RestoreObject for every archived pack at once,
 * waits with progress while S3 reports the restore running, then reads. No real peer here has archive semantics
 * (Ceph RGW's classes read directly, s3proxy has none), so this runs on {@link ArchiveTierStorage}, a port-level
 * fake of exactly that over a real directory vault; the storage-class moves themselves are tested on RGW
 * ({@link ColdStorageRgwTest}).
 */
class ArchivedPackRestoreTest {
  private static final int PACK = 1 << 20;

  @TempDir
  Path dir;
  private EngineFixture vault;
  private ArchiveTierStorage storage;
  private byte[] data;
  private String point;

  @BeforeEach
  void backUpAndArchive() throws IOException {
    Files.createDirectories(dir.resolve("vault"));
    vault = EngineFixture.on(dir, vertx -> new ArchiveTierStorage(new FileVaultStorage(vertx, dir.resolve("vault")), 3));
    storage = (ArchiveTierStorage) vault.storage;
    vault.init(new VaultSettings(VaultSettings.DEFAULT_BLOCK_SIZE, PACK)).close();
    data = new byte[3 << 20];
    new Random(11).nextBytes(data);
    point = vault.backup(Files.write(dir.resolve("image"), data)).recoveryPointId();
    ColdStorage.Report report = vault.withRepo(repo -> ColdStorage.move(repo, Set.of(point), "DEEP_ARCHIVE"));
    assertTrue(report.moved() >= 3, "several packs archived: " + report);
  }

  @AfterEach
  void close() {
    vault.close();
  }

  private Set<String> packKeys() {
    return vault.withRepo(repo -> repo.loadPoint(point).map(m -> {
      Set<String> keys = new java.util.TreeSet<>();
      repo.referencedPacks(m).forEach(p -> keys.add(ObjectKeys.pack(p)));
      return keys;
    }));
  }

  @Test
  void restoreOfAnArchivedPointAsksForEveryPackOnceWaitsAndThenReads() throws IOException {
    Set<String> packs = packKeys();
    String one = packs.iterator().next();
    assertThrows(ArchivedObjectException.class, () -> vault.await(() -> storage.get(one)), "archived packs do not read");

    Path target = dir.resolve("restored");
    long started = System.nanoTime();
    vault.withRepo(repo -> repo.loadPoint(point).compose(m -> RestoreJob.run(repo, m, target, RestoreJob.Options.defaults())));
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertArrayEquals(data, Files.readAllBytes(target));
    assertEquals(packs, storage.restoredKeys(), "a RestoreObject for every archived pack of the point");
    for (String pack : packs) {
      assertEquals(1, storage.restoreRequests(pack), "one RestoreObject for " + pack);
    }
    assertEquals(1, storage.refusedReads(), "the restore read no pack before it was restored");
    assertTrue(took.compareTo(Duration.ofSeconds(1)) >= 0, "it waited for S3 to finish the restores: " + took);
  }

  @Test
  void thawReportsProgressUntilEveryPackIsReadable() {
    List<int[]> updates = Collections.synchronizedList(new ArrayList<>());
    ColdReads.Options options = ColdReads.Options.defaults().withPolling(Duration.ofMillis(200), Duration.ofMinutes(1))
        .withProgress((readable, total, waited) -> updates.add(new int[] {readable, total}));
    int archived = vault.withRepo(repo -> repo.loadPoint(point).compose(m -> ColdReads.thaw(repo, m, options)));
    int total = packKeys().size();
    assertEquals(total, archived);
    assertEquals(0, updates.get(0)[0], "nothing readable at first");
    assertEquals(total, updates.get(updates.size() - 1)[0], "all readable at the end");
    assertTrue(updates.size() >= 3, "progress while waiting: " + updates.size() + " updates");
    // Restored packs read now; a second thaw asks for nothing more.
    vault.withRepo(repo -> repo.loadPoint(point).compose(m -> ColdReads.thaw(repo, m, options)));
    for (String pack : packKeys()) {
      assertEquals(1, storage.restoreRequests(pack));
    }
  }

  @Test
  void aRestoreThatDoesNotFinishInTimeFailsWithOneLineNamingThePacksAndLosesNothing() throws IOException {
    ArchiveTierStorage slow = storage;
    ColdReads.Options options = ColdReads.Options.defaults().withPolling(Duration.ofMillis(100), Duration.ofMillis(300));
    // A fresh fake whose restores never finish within the test, over the same directory.
    vault.storage = storage = new ArchiveTierStorage(new FileVaultStorage(vault.vertx, dir.resolve("vault")), Integer.MAX_VALUE);
    vault.withRepo(repo -> ColdStorage.move(repo, Set.of(point), "DEEP_ARCHIVE"));
    VaultException e = assertThrows(VaultException.class,
        () -> vault.withRepo(repo -> repo.loadPoint(point).compose(m -> ColdReads.thaw(repo, m, options))));
    assertTrue(e.getMessage().startsWith("cannot read " + packKeys().size() + " of " + packKeys().size()
        + " archived packs of "), e.getMessage());
    assertTrue(e.getMessage().contains("has not finished"), e.getMessage());
    // Nothing was lost: once restored, the point reads.
    vault.storage = storage = slow;
    Path target = dir.resolve("restored");
    vault.withRepo(repo -> repo.loadPoint(point).compose(m -> RestoreJob.run(repo, m, target, RestoreJob.Options.defaults())));
    assertArrayEquals(data, Files.readAllBytes(target));
  }

  @Test
  void copyOfAnArchivedPointRestoresItsPacksFirst() throws IOException {
    Files.createDirectories(dir.resolve("copy"));
    FileVaultStorage destination = new FileVaultStorage(vault.vertx, dir.resolve("copy"));
    LocalKeyWrapper destinationKey = LocalKeyWrapper.create(dir.resolve("copy.key"));
    Repository to = vault.await(() -> Repository.init(vault.vertx, destination, destinationKey, VaultSettings.defaults()));
    try {
      vault.withRepo(from -> CopyJob.run(from, to, point, CopyJob.Options.defaults()));
    } finally {
      to.close();
    }
    assertEquals(packKeys(), storage.restoredKeys());
    Repository copy = vault.await(() -> Repository.open(vault.vertx, destination, destinationKey));
    try {
      Path target = dir.resolve("from-copy");
      Manifest m = vault.await(() -> copy.loadPoint(point));
      vault.await(() -> RestoreJob.run(copy, m, target, RestoreJob.Options.defaults()));
      assertArrayEquals(data, Files.readAllBytes(target));
    } finally {
      copy.close();
    }
  }
}
