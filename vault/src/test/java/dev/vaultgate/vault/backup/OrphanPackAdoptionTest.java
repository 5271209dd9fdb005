package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PackCodec;
import dev.vaultgate.vault.repo.IndexRepair;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.VaultStorageException;
import dev.vaultgate.vault.testing.FaultyVaultStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backup dies after packs are PUT and before the index segments naming them are (the storage refuses every index
 * PUT, as a gateway that died between the two would leave it): a resumed backup that adopts orphans uploads none of
 * their chunks again, the vault checks clean and restores byte for byte; an orphan whose header fails authentication
 * is not adopted. Real file storage; the fault wrapper is the storage port itself.
 */
class OrphanPackAdoptionTest {
  private static final int BLOCK = EngineFixture.BLOCK;
  private static final int PACK = 1 << 20;

  @TempDir
  Path tmp;
  private EngineFixture vault;
  private FaultyVaultStorage faulty;
  private Path source;
  private byte[] image;
  private long totalChunks;

  @BeforeEach
  void setUp() throws IOException {
    vault = EngineFixture.onFiles(tmp);
    vault.await(() -> Repository.init(vault.vertx, vault.storage, vault.key, new VaultSettings(BLOCK, PACK))).close();
    image = new byte[12 * PACK + 777];
    new Random(33).nextBytes(image); // every block distinct: each chunk is stored exactly once by a clean run
    source = Files.write(tmp.resolve("disk.img"), image);
    totalChunks = (image.length + BLOCK - 1) / BLOCK;
    faulty = new FaultyVaultStorage(vault.vertx, vault.storage).failPutsUnder(ObjectKeys.INDEX);
    vault.wrap(s -> faulty);
  }

  @AfterEach
  void tearDown() {
    vault.close();
  }

  /** Runs the backup that dies after its first pack PUTs; answers the orphan packs it left, by id. */
  private Map<String, List<IndexEntry>> dieBetweenPackAndIndex() {
    assertThrows(VaultStorageException.class, () -> vault.backup(source));
    faulty.heal();
    assertTrue(vault.await(() -> vault.storage.list(ObjectKeys.INDEX)).isEmpty(), "no index segment was written");
    Map<String, List<IndexEntry>> orphans = headersOfPacks(Set.of());
    assertFalse(orphans.isEmpty(), "the dead run stored packs before it died");
    return orphans;
  }

  /** Every stored pack not in {@code except}, with the chunks its header lists (read whole, independently of adoption). */
  private Map<String, List<IndexEntry>> headersOfPacks(Set<String> except) {
    Map<String, List<IndexEntry>> packs = new HashMap<>();
    try (Repository repo = vault.open()) {
      for (ObjectInfo o : vault.await(() -> vault.storage.list(ObjectKeys.PACKS))) {
        String id = ObjectKeys.idOf(o.key());
        if (except.contains(id)) {
          continue;
        }
        byte[] bytes = vault.await(() -> vault.storage.get(o.key()));
        int trailerAt = bytes.length - PackCodec.TRAILER_BYTES;
        int len = PackCodec.headerLength(id, Arrays.copyOfRange(bytes, trailerAt, bytes.length));
        packs.put(id, PackCodec.readHeader(repo.keys(), id, Arrays.copyOfRange(bytes, trailerAt - len, trailerAt)));
      }
    }
    return packs;
  }

  private BackupResult resume(boolean adoptOrphans) {
    try (Repository repo = vault.open(); FileBlockSource src = FileBlockSource.open(source)) {
      return vault.await(() -> BackupJob.run(repo, src, BackupJob.Options.defaults("disk0").withIndexRepair(adoptOrphans)));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Set<ByteBuffer> chunkIds(Map<String, List<IndexEntry>> packs) {
    Set<ByteBuffer> ids = new HashSet<>();
    packs.values().forEach(entries -> entries.forEach(e -> ids.add(ByteBuffer.wrap(e.chunkId()))));
    return ids;
  }

  private static long chunkCount(Map<String, List<IndexEntry>> packs) {
    return packs.values().stream().mapToLong(List::size).sum();
  }


  @Test
  void resumedBackupAdoptsOrphanPacksAndUploadsNoneOfTheirChunksAgain() throws IOException {
    Map<String, List<IndexEntry>> orphans = dieBetweenPackAndIndex();
    int putsBefore = faulty.calls(FaultyVaultStorage.Operation.PUT);

    BackupResult resumed = resume(true);

    long orphanChunks = chunkCount(orphans);
    assertEquals(totalChunks - orphanChunks, resumed.chunksNew(), "only chunks no orphan holds are new");
    Map<String, List<IndexEntry>> newPacks = headersOfPacks(orphans.keySet());
    Set<ByteBuffer> uploadedAgain = chunkIds(newPacks);
    uploadedAgain.retainAll(chunkIds(orphans));
    assertTrue(uploadedAgain.isEmpty(), uploadedAgain.size() + " chunks of orphan packs were uploaded again");
    assertEquals(totalChunks - orphanChunks, chunkCount(newPacks), "the new packs hold exactly the missing chunks");
    // PUTs of the resumed run: one segment for the adopted packs, its own packs and one segment for them (if any), a
    // lock, the point's reference list and the manifest
    int puts = faulty.calls(FaultyVaultStorage.Operation.PUT) - putsBefore;
    assertEquals(1 + newPacks.size() + (newPacks.isEmpty() ? 0 : 1) + 3, puts, "PUTs of the resumed run");
    vault.assertRestoresAndChecksClean(resumed, source, 0);
  }

  @Test
  void withoutAdoptionTheResumedBackupUploadsTheOrphansChunksAgain() throws IOException {
    // The gap adoption closes, shown on the same fault: the test above would fail without it.
    Map<String, List<IndexEntry>> orphans = dieBetweenPackAndIndex();

    BackupResult resumed = resume(false);

    assertEquals(totalChunks, resumed.chunksNew());
    vault.assertRestoresAndChecksClean(resumed, source, orphans.size());
  }

  @Test
  void orphanWhoseHeaderFailsAuthenticationIsNotAdopted() throws IOException {
    Map<String, List<IndexEntry>> orphans = dieBetweenPackAndIndex();
    String corrupt = orphans.keySet().iterator().next();
    Path file = tmp.resolve("vault").resolve(ObjectKeys.pack(corrupt));
    EngineFixture.flipBit(file, -PackCodec.TRAILER_BYTES - 20); // inside the sealed header's ciphertext

    IndexRepair.Report report;
    try (Repository repo = vault.open()) {
      report = vault.await(() -> IndexRepair.repairIndex(repo, "test repair-index"));
    }

    assertEquals(orphans.size(), report.orphans());
    assertEquals(orphans.size() - 1, report.packsAdopted());
    assertEquals(1, report.refused().size(), report.refused().toString());
    assertTrue(report.refused().get(0).contains(corrupt) && report.refused().get(0).contains("fails authentication"),
        report.refused().get(0));
    assertTrue(vault.await(() -> vault.storage.list("locks/")).isEmpty(), "the repair released its vault lock");
    long goodChunks = chunkCount(orphans) - orphans.get(corrupt).size();
    assertEquals(goodChunks, report.chunksAdopted());
    try (Repository repo = vault.open()) {
      for (IndexEntry e : orphans.get(corrupt)) {
        assertFalse(repo.index().contains(e.chunkId(), 0), "a chunk of the corrupt orphan is indexed");
      }
    }

    BackupResult resumed = resume(true); // the corrupt orphan is refused again, and its chunks uploaded anew
    assertEquals(totalChunks - goodChunks, resumed.chunksNew());
    vault.assertRestoresAndChecksClean(resumed, source, 1);
  }
}
