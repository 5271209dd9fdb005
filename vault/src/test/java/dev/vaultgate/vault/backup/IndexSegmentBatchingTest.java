package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.VaultStorageException;
import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.testing.FaultyVaultStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Index segments name many packs: a backup writes one per {@code segmentEntries} chunks, not one per pack, after the
 * packs it names. What a job stored is named before its vault lock goes, even when the job fails; when the segments
 * cannot be written, the process forgets those packs (no later job reuses them) and the next backup adopts them from
 * their headers. Real file storage; the fault wrapper is the storage port itself.
 */
class IndexSegmentBatchingTest {
  private static final int BLOCK = EngineFixture.BLOCK;
  private static final int PACK = 1 << 20;

  @TempDir
  Path tmp;
  private EngineFixture vault;
  private FaultyVaultStorage faulty;
  private Path source;
  private long totalChunks;

  @BeforeEach
  void setUp() throws IOException {
    vault = EngineFixture.onFiles(tmp);
    vault.await(() -> Repository.init(vault.vertx, vault.storage, vault.key, new VaultSettings(BLOCK, PACK))).close();
    byte[] image = new byte[12 * PACK + 777];
    new Random(41).nextBytes(image); // every block distinct
    source = Files.write(tmp.resolve("disk.img"), image);
    totalChunks = (image.length + BLOCK - 1) / BLOCK;
    faulty = new FaultyVaultStorage(vault.vertx, vault.storage);
    vault.wrap(s -> faulty);
  }

  @AfterEach
  void tearDown() {
    vault.close();
  }

  private List<String> listed(String prefix) {
    return vault.await(() -> vault.storage.list(prefix)).stream().map(ObjectInfo::key).map(ObjectKeys::idOf).toList();
  }

  /** The packs each stored segment names, as a fresh open reads them. */
  private Map<String, Set<String>> segments() {
    try (Repository repo = vault.open()) {
      return repo.packsBySegment();
    }
  }


  @Test
  void aBackupWritesOneSegmentForAllItsPacks() throws IOException {
    BackupResult point = vault.backup(source);

    List<String> packs = listed(ObjectKeys.PACKS);
    assertTrue(packs.size() >= 10, packs.size() + " packs");
    Map<String, Set<String>> segments = segments();
    assertEquals(1, segments.size(), "one segment, not one per pack");
    assertEquals(new HashSet<>(packs), segments.values().iterator().next());
    vault.assertRestoresAndChecksClean(point, source, 0);
  }

  @Test
  void segmentsHoldAtMostSegmentEntriesAndNameEveryPackOnce() throws IOException {
    BackupResult point;
    try (Repository repo = vault.open()) {
      repo.segmentEntries(40); // packs of 1 MiB hold about 15 blocks: two or three packs per segment
      point = vault.backup(repo, source, BackupJob.Options.defaults("disk0"));
    }

    List<String> packs = listed(ObjectKeys.PACKS);
    Map<String, Long> entriesByPack;
    Map<String, Set<String>> segments;
    try (Repository repo = vault.open()) {
      entriesByPack = repo.index().entries().stream()
          .collect(Collectors.groupingBy(IndexEntry::packId, Collectors.counting()));
      segments = repo.packsBySegment();
    }
    // Which packs share a segment depends on the order their uploads end in.
    assertTrue(segments.size() < packs.size(), segments.size() + " segments for " + packs.size() + " packs");
    Set<String> named = new HashSet<>();
    for (Set<String> s : segments.values()) {
      long entries = s.stream().mapToLong(entriesByPack::get).sum();
      assertTrue(entries <= 40 || s.size() == 1, "a segment names " + s.size() + " packs of " + entries + " chunks");
      s.forEach(p -> assertTrue(named.add(p), "pack " + p + " is named twice"));
    }
    assertEquals(new HashSet<>(packs), named);
    vault.assertRestoresAndChecksClean(point, source, 0);
  }

  @Test
  void aPointIsNotStoredWhileAPackItNeedsIsNamedByNoStoredSegment() {
    try (Repository repo = vault.open()) {
      BackupResult point = vault.backup(repo, source, BackupJob.Options.defaults("disk0"));
      Manifest manifest = vault.await(() -> repo.loadPoint(point.recoveryPointId()));
      repo.packsBySegment().keySet().forEach(repo::forgetSegment); // its chunks indexed, their packs named by none

      VaultException e = assertThrows(VaultException.class, () -> repo.referencedObjects(manifest));
      assertTrue(e.getMessage().contains("that no stored index segment names"), e.getMessage());
      VaultException stored = assertThrows(VaultException.class, () -> vault.await(() -> repo.storePoint(manifest)));
      assertEquals(e.getMessage(), stored.getMessage(), "storing the point is refused");
    }
  }

  @Test
  void packsOfAFailedBackupAreNamedBeforeItsLockGoesAndNotUploadedAgain() throws IOException {
    faulty.failPutsUnder(ObjectKeys.PACKS, 5); // the sixth pack is refused: the job fails with five stored
    assertThrows(VaultStorageException.class, () -> vault.backup(source));
    faulty.heal();

    List<String> packs = listed(ObjectKeys.PACKS);
    assertEquals(5, packs.size());
    Set<String> named = new HashSet<>();
    segments().values().forEach(named::addAll);
    assertEquals(new HashSet<>(packs), named, "the failed job's packs are indexed: no orphan");
    assertTrue(listed("locks/").isEmpty(), "the lock went after the segment was written");

    long stored;
    try (Repository repo = vault.open()) {
      stored = repo.index().size();
    }
    assertTrue(stored >= 5, stored + " chunks stored");

    BackupResult again = vault.backup(source, BackupJob.Options.defaults("disk0").withIndexRepair(false));
    assertEquals(totalChunks - stored, again.chunksNew(), "the stored chunks are not uploaded again");
    vault.assertRestoresAndChecksClean(again, source, 0);
  }

  @Test
  void whenSegmentsCannotBeWrittenTheProcessForgetsThePacksAndTheNextBackupAdoptsThem() throws IOException {
    try (Repository repo = vault.open()) { // kept open across jobs, as a gateway keeps its vault
      faulty.failPutsUnder(ObjectKeys.INDEX);
      assertThrows(VaultStorageException.class, () -> vault.backup(repo, source, BackupJob.Options.defaults("disk0")));
      faulty.heal();
      List<String> orphans = listed(ObjectKeys.PACKS);
      assertTrue(orphans.size() >= 10, "the packs were stored");
      assertTrue(listed(ObjectKeys.INDEX).isEmpty(), "no segment was written");
      assertTrue(repo.indexedPacks().isEmpty(), "the process forgot them: once its lock is gone, a gc may delete them");

      // Without adoption, the same process must not reuse the forgotten chunks: it stores them all again.
      BackupResult unadopted = vault.backup(repo, source, BackupJob.Options.defaults("disk0").withIndexRepair(false));
      assertEquals(totalChunks, unadopted.chunksNew());
      vault.assertRestoresAndChecksClean(unadopted, source, orphans.size());
    }
  }

  @Test
  void aPlainRerunAfterSegmentsFailedAdoptsTheOrphansAndUploadsNothingAgain() throws IOException {
    faulty.failPutsUnder(ObjectKeys.INDEX);
    assertThrows(VaultStorageException.class, () -> vault.backup(source));
    faulty.heal();
    int orphans = listed(ObjectKeys.PACKS).size();

    BackupResult rerun = vault.backup(source); // the CLI's default: adopt orphans first

    assertEquals(0, rerun.chunksNew(), "every chunk was in an adopted orphan");
    assertEquals(0, rerun.bytesNew());
    assertEquals(orphans, listed(ObjectKeys.PACKS).size(), "no pack was added");
    vault.assertRestoresAndChecksClean(rerun, source, 0);
  }
}
