package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultLock;
import dev.vaultgate.vault.storage.ForwardingVaultStorage;
import dev.vaultgate.vault.storage.ObjectInfo;
import io.vertx.core.Future;
import dev.vaultgate.vault.testing.FaultyVaultStorage;
import dev.vaultgate.vault.testing.FaultyVaultStorage.Operation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A vault opened without its index lists points and keys at the cost of no index read, and refuses the rest; a backup
 * through such a repository reads the index itself, once, under its vault lock.
 */
class OpenWithoutIndexTest {
  @TempDir
  Path tmp;
  private EngineFixture vault;
  private FaultyVaultStorage counting;
  private String pointId;

  @BeforeEach
  void setUp() throws IOException {
    vault = EngineFixture.onFiles(tmp);
    vault.init().close();
    byte[] image = new byte[40 * 1024 * 1024 + 5]; // three packs and the index segment naming them
    new Random(9).nextBytes(image);
    pointId = vault.backup(Files.write(tmp.resolve("disk.img"), image)).recoveryPointId();
    counting = new FaultyVaultStorage(vault.vertx, vault.storage); // no faults: it counts the calls
    vault.wrap(s -> counting);
  }

  @AfterEach
  void tearDown() {
    vault.close();
  }

  @Test
  void pointsAndKeysAreListedWithoutReadingAnyIndexSegment() {
    int segments = vault.await(() -> vault.storage.list(ObjectKeys.INDEX)).size();
    assertTrue(segments >= 1, "the point's packs are named by an index segment: " + segments);

    counting.resetCounts();
    try (Repository repo = vault.await(() -> Repository.openWithoutIndex(vault.vertx, vault.storage, vault.key))) {
      assertEquals(1, counting.calls(Operation.GET), "only the config is read on opening");
      List<Manifest> points = vault.await(repo::loadAllPoints);
      assertEquals(List.of(pointId), points.stream().map(Manifest::id).toList());
      assertEquals(1, repo.keyGenerations().size());
    }

    counting.resetCounts();
    try (Repository repo = vault.open()) {
      assertEquals(1 + segments, counting.calls(Operation.GET), "a full open reads the config and every segment");
    }
  }

  @Test
  void everythingThatNeedsTheIndexIsRefusedInOneLineNamingTheOperation() {
    try (Repository repo = vault.await(() -> Repository.openWithoutIndex(vault.vertx, vault.storage, vault.key))) {
      Manifest point = vault.await(() -> repo.loadPoint(pointId));
      Map<String, Executable> refused = Map.of(
          "use the chunk index", repo::index,
          "list the packs a point needs", () -> repo.referencedPacks(point),
          "list the objects a point needs", () -> repo.referencedObjects(point),
          "list index segments", repo::indexSegments,
          "write an index segment", () -> repo.storeIndexSegment(List.of()));
      refused.forEach((operation, call) -> {
        IllegalStateException e = assertThrows(IllegalStateException.class, call, operation);
        assertEquals("cannot " + operation + " in vault " + vault.storage.describe() + ": it was opened without its index",
            e.getMessage());
      });
    }
  }

  @Test
  void aBackupThroughARepositoryOpenedWithoutItsIndexListsAndReadsTheIndexOnceUnderItsLock() throws IOException {
    int segments = vault.await(() -> vault.storage.list(ObjectKeys.INDEX)).size();
    List<String> calls = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    vault.wrap(s -> new ForwardingVaultStorage(s) {
      @Override
      public Future<List<ObjectInfo>> list(String prefix) {
        calls.add("LIST " + prefix);
        return super.list(prefix);
      }

      @Override
      public Future<byte[]> get(String key) {
        calls.add(key.startsWith(ObjectKeys.INDEX) ? "GET index segment" : "GET " + key);
        return super.get(key);
      }

      @Override
      public Future<Void> put(String key, byte[] data) {
        calls.add(key.startsWith(VaultLock.PREFIX) ? "PUT lock" : "PUT other");
        return super.put(key, data);
      }
    });
    byte[] image = Files.readAllBytes(tmp.resolve("disk.img"));
    image[12345] ^= 1; // one changed block
    Path changed = Files.write(tmp.resolve("disk2.img"), image);

    BackupResult r;
    try (Repository repo = vault.await(() -> Repository.openWithoutIndex(vault.vertx, vault.storage, vault.key));
         FileBlockSource source = FileBlockSource.open(changed)) {
      r = vault.await(() -> BackupJob.run(repo, source, repo.loadPoint(pointId)
          .map(previous -> BackupJob.Options.defaults("disk0").withPrevious(previous))));
      assertEquals(1, r.chunksNew(), "the index was read: only the changed block is new");
    }
    assertEquals(1, java.util.Collections.frequency(calls, "LIST " + ObjectKeys.INDEX), calls.toString());
    assertEquals(segments, java.util.Collections.frequency(calls, "GET index segment"), calls.toString());
    int lockTaken = calls.indexOf("PUT lock");
    assertTrue(lockTaken >= 0 && lockTaken < calls.indexOf("LIST " + ObjectKeys.INDEX), "the index is listed under the lock: " + calls);
    assertArrayEquals(image, restored(r.recoveryPointId()));
  }

  private byte[] restored(String id) throws IOException {
    Path target = tmp.resolve("restored-" + id);
    vault.restore(id, target);
    return Files.readAllBytes(target);
  }
}
