package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.VaultStorageException;
import dev.vaultgate.vault.testing.FaultyVaultStorage;
import dev.vaultgate.vault.testing.FaultyVaultStorage.ReadCut;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Storage faults injected by {@link FaultyVaultStorage}: retries hide transient ones, and nothing is ever lost. */
class BackupFaultTest {
  private static final int BLOCK = EngineFixture.BLOCK;

  @TempDir
  Path tmp;
  private EngineFixture vault;
  private byte[] image;
  private Path source;

  @BeforeEach
  void setUp() throws IOException {
    vault = EngineFixture.onFiles(tmp);
    vault.init().close();
    image = new byte[56 * 1024 * 1024 + 999]; // three full packs and a partial one
    new Random(21).nextBytes(image);
    source = Files.write(tmp.resolve("disk.img"), image);
  }

  @AfterEach
  void tearDown() {
    vault.close();
  }

  private CheckReport check() {
    try (Repository repo = vault.open()) {
      return vault.await(() -> VaultChecker.check(repo, true));
    }
  }

  @Test
  void interruptedBackupLeavesAValidVaultAndTheNextRunUploadsOnlyWhatIsMissing() {
    FaultyVaultStorage faulty = new FaultyVaultStorage(vault.vertx, vault.storage)
        .failPutsUnder(ObjectKeys.PACKS, 2);
    vault.wrap(s -> faulty);

    assertThrows(VaultStorageException.class, () -> vault.backup(source));
    assertTrue(vault.await(() -> vault.storage.list("locks/")).isEmpty(), "a failed backup releases its vault lock");

    int indexedAfterFailure;
    try (Repository repo = vault.open()) {
      assertTrue(vault.await(repo::listPoints).isEmpty(), "no recovery point may name data that is not there");
      indexedAfterFailure = repo.index().size();
    }
    assertTrue(indexedAfterFailure > 0, "some packs were stored and indexed before the failure");
    assertTrue(check().ok(), check().errors().toString());

    faulty.heal();
    BackupResult again = vault.backup(source);
    long totalChunks = (image.length + BLOCK - 1) / BLOCK;
    assertEquals(totalChunks - indexedAfterFailure, again.chunksNew(), "chunks already stored are not uploaded again");

    Path target = tmp.resolve("out.img");
    vault.restore(again.recoveryPointId(), target);
    assertEquals(-1L, mismatch(target));
    CheckReport after = check();
    assertTrue(after.ok(), after.errors().toString());
  }

  @Test
  void transientFailuresAreRetriedAndLoseNothing() {
    FaultyVaultStorage faulty = new FaultyVaultStorage(vault.vertx, vault.storage)
        .failNthPut(2, true).loseNthPutReply(4).cutNthRead(3, ReadCut.FAIL).delay(Duration.ofMillis(5));
    vault.wrap(s -> new RetryingVaultStorage(vault.vertx, faulty, 5, Duration.ofMillis(10)));

    BackupResult b = vault.backup(source);
    Path target = tmp.resolve("out.img");
    vault.restore(b.recoveryPointId(), target);

    assertEquals(-1L, mismatch(target));
    assertTrue(check().ok());
  }

  @Test
  void restoreThatFailsLeavesNoFileThatLooksComplete() {
    BackupResult b = vault.backup(source);
    vault.wrap(s -> new FaultyVaultStorage(vault.vertx, s).cutReadsAfter(4, ReadCut.FAIL));
    Path target = tmp.resolve("out.img");

    assertThrows(VaultStorageException.class, () -> vault.restore(b.recoveryPointId(), target));

    assertTrue(Files.notExists(target));
    assertTrue(Files.notExists(tmp.resolve("out.img.vaultgate-partial")));
  }

  @Test
  void truncatedReadIsDetectedAndNamesThePack() {
    BackupResult b = vault.backup(source);
    // Opening the vault reads its config and every index segment, then the restore loads the manifest: the
    // reads after those are of packs.
    int beforePacks = 1 + vault.await(() -> vault.storage.list("index/")).size() + 1;
    vault.wrap(s -> new FaultyVaultStorage(vault.vertx, s).cutReadsAfter(beforePacks, ReadCut.TRUNCATE));
    Path target = tmp.resolve("out.img");

    VaultException e = assertThrows(VaultException.class, () -> vault.restore(b.recoveryPointId(), target));

    assertTrue(e.getMessage().contains("packs/"), e.getMessage());
    assertTrue(Files.notExists(target));
  }

  private long mismatch(Path target) {
    try {
      return Files.mismatch(source, target);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
