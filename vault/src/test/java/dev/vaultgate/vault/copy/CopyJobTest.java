package dev.vaultgate.vault.copy;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.FileVaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.storage.VaultStorageException;
import dev.vaultgate.vault.testing.FaultyVaultStorage;
import dev.vaultgate.vault.testing.TestVaults;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Copies between two real vaults, each with its own master key: a directory as the source, S3 or a directory as the destination. */
class CopyJobTest {
  private static final int BLOCK = VaultSettings.DEFAULT_BLOCK_SIZE;

  @TempDir
  Path tmp;
  private final Vertx vertx = Vertx.vertx();
  private Path sourceDir;
  private VaultStorage sourceStorage;
  private VaultStorage destinationStorage;
  private LocalKeyWrapper sourceKey;
  private LocalKeyWrapper destinationKey;

  @BeforeEach
  void setUp() throws IOException {
    sourceDir = Files.createDirectories(tmp.resolve("source"));
    sourceStorage = new FileVaultStorage(vertx, sourceDir);
    sourceKey = LocalKeyWrapper.create(tmp.resolve("source.key"));
    destinationKey = LocalKeyWrapper.create(tmp.resolve("destination.key"));
    await(() -> Repository.init(vertx, sourceStorage, sourceKey, VaultSettings.defaults())).close();
  }

  @AfterEach
  void tearDown() {
    sourceStorage.close();
    if (destinationStorage != null) {
      destinationStorage.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private <T> T await(Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(120));
  }

  private void destinationOnS3() {
    // Retried as VaultStorages.open does: the in-process S3 server now and then closes a kept-alive connection under a request.
    destinationStorage = new dev.vaultgate.vault.storage.RetryingVaultStorage(vertx, TestVaults.newS3Storage(vertx));
    await(() -> Repository.init(vertx, destinationStorage, destinationKey, VaultSettings.defaults())).close();
  }

  private void destinationOnFiles() throws IOException {
    destinationStorage = new FileVaultStorage(vertx, Files.createDirectories(tmp.resolve("destination")));
    await(() -> Repository.init(vertx, destinationStorage, destinationKey, VaultSettings.defaults())).close();
  }

  private BackupResult backup(Path image, Manifest previous) {
    try (Repository repo = await(() -> Repository.open(vertx, sourceStorage, sourceKey)); FileBlockSource src = FileBlockSource.open(image)) {
      return await(() -> BackupJob.run(repo, src, BackupJob.Options.defaults("disk0").withPrevious(previous)));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private Manifest sourcePoint(String id) {
    try (Repository repo = await(() -> Repository.open(vertx, sourceStorage, sourceKey))) {
      return await(() -> repo.loadPoint(id));
    }
  }

  private CopyResult copy(String pointId, VaultStorage to) {
    try (Repository from = await(() -> Repository.open(vertx, sourceStorage, sourceKey));
         Repository dest = await(() -> Repository.open(vertx, to, destinationKey))) {
      return await(() -> CopyJob.run(from, dest, pointId, CopyJob.Options.defaults().withWindowBlocks(100)));
    }
  }

  private byte[] restoreFromDestination(String pointId) throws IOException {
    Path target = tmp.resolve("restored-" + pointId);
    try (Repository dest = await(() -> Repository.open(vertx, destinationStorage, destinationKey))) {
      await(() -> dest.loadPoint(pointId).compose(m -> RestoreJob.run(dest, m, target, RestoreJob.Options.defaults())));
    }
    return Files.readAllBytes(target);
  }

  private CheckReport checkDestination() {
    try (Repository dest = await(() -> Repository.open(vertx, destinationStorage, destinationKey))) {
      return await(() -> VaultChecker.check(dest, true));
    }
  }

  private static Set<String> chunkIds(Repository repo) {
    Set<String> ids = new HashSet<>();
    for (IndexEntry e : repo.index().entries()) {
      ids.add(HexFormat.of().formatHex(e.chunkId()));
    }
    return ids;
  }

  private static byte[] image(long seed, int size) {
    byte[] img = new byte[size];
    Random r = new Random(seed);
    for (int at = 0; at < size; at += BLOCK) {
      if (r.nextInt(5) == 0) {
        continue; // a zero block: sparse in both vaults
      }
      byte[] b = new byte[Math.min(BLOCK, size - at)];
      r.nextBytes(b);
      if (r.nextInt(4) == 0 && at >= BLOCK) {
        System.arraycopy(img, 0, img, at, b.length); // a duplicate of the first block
      } else {
        System.arraycopy(b, 0, img, at, b.length);
      }
    }
    return img;
  }

  @Test
  void copyToAnotherRegionIsReEncryptedAndRestoresAfterTheSourceIsGone() throws IOException {
    destinationOnS3();
    byte[] img = image(1, 300 * BLOCK + 777);
    BackupResult point = backup(Files.write(tmp.resolve("disk.img"), img), null);

    CopyResult copied = copy(point.recoveryPointId(), destinationStorage);
    assertFalse(copied.alreadyCopied());
    assertEquals(point.chunksNew(), copied.chunksCopied(), "every distinct chunk is copied once");
    assertEquals(img.length, copied.size());

    try (Repository from = await(() -> Repository.open(vertx, sourceStorage, sourceKey));
         Repository dest = await(() -> Repository.open(vertx, destinationStorage, destinationKey))) {
      Set<String> shared = chunkIds(from);
      shared.retainAll(chunkIds(dest));
      assertTrue(shared.isEmpty(), "chunk ids are keyed per vault: the destination names its chunks under its own key");
      assertEquals(from.index().size(), dest.index().size());
    }
    assertTrue(checkDestination().ok(), checkDestination().errors().toString());

    try (Stream<Path> files = Files.walk(sourceDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertFalse(Files.exists(sourceDir));
    assertArrayEquals(img, restoreFromDestination(point.recoveryPointId()), "the destination restores on its own");
  }

  @Test
  void nextCopyTransfersOnlyChunksTheDestinationLacksAndARerunIsANoOp() throws IOException {
    destinationOnFiles();
    byte[] img = image(2, 200 * BLOCK);
    Path disk = Files.write(tmp.resolve("disk.img"), img);
    BackupResult first = backup(disk, null);
    copy(first.recoveryPointId(), destinationStorage);

    byte[] changed = img.clone();
    for (int block : new int[] {5, 77, 150}) {
      changed[block * BLOCK + 10] ^= 0x5a;
    }
    BackupResult second = backup(Files.write(disk, changed), sourcePoint(first.recoveryPointId()));
    CopyResult copied = copy(second.recoveryPointId(), destinationStorage);
    assertEquals(second.chunksNew(), copied.chunksCopied(), "only the chunks the second backup added are transferred");
    assertTrue(copied.chunksCopied() > 0 && copied.chunksCopied() <= 3);

    CopyResult again = copy(second.recoveryPointId(), destinationStorage);
    assertTrue(again.alreadyCopied());
    assertEquals(0, again.chunksRead());

    assertArrayEquals(img, restoreFromDestination(first.recoveryPointId()));
    assertArrayEquals(changed, restoreFromDestination(second.recoveryPointId()));
  }

  @Test
  void interruptedCopyLeavesAValidDestinationAndTheNextRunWritesOnlyWhatIsMissing() throws IOException {
    destinationOnFiles();
    byte[] img = new byte[56 * 1024 * 1024 + 999]; // random: three full packs and a partial one
    new Random(4).nextBytes(img);
    BackupResult point = backup(Files.write(tmp.resolve("disk.img"), img), null);

    FaultyVaultStorage faulty = new FaultyVaultStorage(vertx, destinationStorage).failPutsUnder(ObjectKeys.PACKS, 2);
    assertThrows(VaultStorageException.class, () -> copy(point.recoveryPointId(), faulty));

    int indexedAfterFailure;
    try (Repository dest = await(() -> Repository.open(vertx, destinationStorage, destinationKey))) {
      assertTrue(await(dest::listPoints).isEmpty(), "no copy may name data that is not there");
      indexedAfterFailure = dest.index().size();
      assertTrue(await(() -> destinationStorage.list("locks/")).isEmpty(), "a failed copy releases its vault lock");
    }
    assertTrue(indexedAfterFailure > 0, "packs stored before the failure are indexed");
    assertTrue(checkDestination().ok(), checkDestination().errors().toString());

    faulty.heal();
    CopyResult resumed = copy(point.recoveryPointId(), faulty);
    assertEquals(point.chunksNew() - indexedAfterFailure, resumed.chunksCopied(), "chunks already copied are not written again");
    assertArrayEquals(img, restoreFromDestination(point.recoveryPointId()));
    assertTrue(checkDestination().ok(), checkDestination().errors().toString());
  }

  @Test
  void aCopyThatDiedBeforeNamingItsPacksIsRerunWithoutWritingThemAgain() throws IOException {
    destinationOnFiles();
    byte[] img = new byte[40 * 1024 * 1024 + 999]; // random: two full packs and a partial one
    new Random(6).nextBytes(img);
    BackupResult point = backup(Files.write(tmp.resolve("disk.img"), img), null);

    // The destination takes packs but no index segment: the copy's packs are left named by none (orphans).
    FaultyVaultStorage faulty = new FaultyVaultStorage(vertx, destinationStorage).failPutsUnder(ObjectKeys.INDEX);
    assertThrows(VaultStorageException.class, () -> copy(point.recoveryPointId(), faulty));
    faulty.heal();
    int packs = await(() -> destinationStorage.list(ObjectKeys.PACKS)).size();
    assertTrue(packs >= 3, packs + " packs stored");
    assertTrue(await(() -> destinationStorage.list(ObjectKeys.INDEX)).isEmpty(), "no segment names them");

    CopyResult rerun = copy(point.recoveryPointId(), faulty);

    assertEquals(0, rerun.chunksCopied(), "every chunk was in an adopted orphan");
    assertEquals(packs, await(() -> destinationStorage.list(ObjectKeys.PACKS)).size(), "no pack was added");
    assertArrayEquals(img, restoreFromDestination(point.recoveryPointId()));
    CheckReport check = checkDestination();
    assertTrue(check.ok() && check.warnings().stream().noneMatch(w -> w.contains("is not indexed")), check.toString());
  }

  @Test
  void copyIntoTheSameVaultIsRefused() {
    byte[] img = image(5, 10 * BLOCK);
    BackupResult point;
    try {
      point = backup(Files.write(tmp.resolve("disk.img"), img), null);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    try (Repository a = await(() -> Repository.open(vertx, sourceStorage, sourceKey));
         Repository b = await(() -> Repository.open(vertx, sourceStorage, sourceKey))) {
      VaultException e = assertThrows(VaultException.class,
          () -> await(() -> CopyJob.run(a, b, point.recoveryPointId(), CopyJob.Options.defaults())));
      assertTrue(e.getMessage().contains("same vault"), e.getMessage());
    }
  }
}
