package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.testing.EngineFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vault check} holds each point's keyless reference list against its sealed manifest; gc repairs a list. */
class ReferenceListsTest {
  @TempDir
  Path dir;
  private EngineFixture vault;
  private VaultStorage storage;
  private String point;

  @BeforeEach
  void backUp() throws IOException {
    vault = EngineFixture.onFiles(dir);
    storage = vault.storage;
    vault.init(new VaultSettings(VaultSettings.DEFAULT_BLOCK_SIZE, 1 << 20)).close();
    byte[] data = new byte[3 << 20];
    new Random(3).nextBytes(data);
    point = vault.backup(Files.write(dir.resolve("image"), data)).recoveryPointId();
  }

  @AfterEach
  void close() {
    vault.close();
  }

  private CheckReport check() {
    return vault.withRepo(repo -> VaultChecker.check(repo, false));
  }

  @Test
  void aListThatMissesAPackIsReportedAndGcRewritesIt() {
    assertTrue(check().warnings().isEmpty(), check().warnings().toString());
    PointReferences list = PointReferences.decode(point, vault.await(() -> storage.get(ObjectKeys.refs(point))));
    Set<String> fewer = new TreeSet<>(list.objects());
    String dropped = fewer.stream().filter(k -> k.startsWith(ObjectKeys.PACKS)).findFirst().orElseThrow();
    fewer.remove(dropped);
    vault.await(() -> storage.put(ObjectKeys.refs(point), new PointReferences(point, fewer).encode()));

    CheckReport tampered = check();
    assertTrue(tampered.ok(), "the point itself restores: " + tampered.errors());
    assertEquals(1, tampered.warnings().size(), tampered.warnings().toString());
    assertTrue(tampered.warnings().get(0).startsWith("refs/" + point + " does not name 1 object(s) the point needs (first "
        + dropped + ")"), tampered.warnings().get(0));

    vault.withRepo(GarbageCollector::collect);
    assertTrue(check().warnings().isEmpty(), "gc rewrote the list: " + check().warnings());
  }

  /** A chunk in two stored packs (a copy, as an interrupted repack leaves): a reader may use either, the list names both. */
  @Test
  void aChunkStoredInTwoPacksHasBothPacksAndTheirSegmentsInItsPointsList() {
    PointReferences before = PointReferences.decode(point, vault.await(() -> storage.get(ObjectKeys.refs(point))));
    String original = before.objects().stream().filter(k -> k.startsWith(ObjectKeys.PACKS)).findFirst().orElseThrow();
    String originalId = ObjectKeys.idOf(original);
    String copy = ObjectIds.newId();
    String segment = vault.withRepo(repo -> repo.storage().get(original)
        .compose(bytes -> repo.storage().put(ObjectKeys.pack(copy), bytes))
        .compose(v -> repo.storeIndexSegment(repo.index().entries().stream().filter(e -> e.packId().equals(originalId))
            .map(e -> new IndexEntry(e.chunkId(), copy, e.offset(), e.length(), e.rawLength(), e.encoding())).toList()))
        .compose(s -> ReferenceLists.refreshAll(repo).map(s)));
    Set<String> after = PointReferences.decode(point, vault.await(() -> storage.get(ObjectKeys.refs(point)))).objects();
    assertTrue(after.containsAll(before.objects()), after.toString());
    assertTrue(after.contains(ObjectKeys.pack(copy)) && after.contains(ObjectKeys.index(segment)), after.toString());
    assertEquals(before.objects().size() + 2, after.size(), after.toString());
  }

  /**
   * A backup writes its point's list before the manifest. A repair (under a shared lock, beside backups) must not take
   * such a list for one whose point is gone; gc, under its exclusive lock, deletes lists of points that are gone.
   */
  @Test
  void aListWhoseManifestIsNotStoredYetSurvivesARepairAndGcDeletesItOnceNoBackupRuns() {
    String underWay = ObjectIds.newId();
    String list = ObjectKeys.refs(underWay);
    vault.await(() -> storage.get(ObjectKeys.refs(point)).compose(bytes -> storage.put(list, bytes)));

    vault.withRepo(ReferenceLists::refreshAll);
    assertTrue(vault.await(() -> storage.list(ObjectKeys.REFS)).stream().anyMatch(o -> o.key().equals(list)), "kept");
    vault.withRepo(GarbageCollector::collect);
    assertTrue(vault.await(() -> storage.list(ObjectKeys.REFS)).stream().noneMatch(o -> o.key().equals(list)), "deleted");
  }

  @Test
  void aPointWithoutAListIsReportedAndGcWritesOne() {
    vault.await(() -> storage.delete(ObjectKeys.refs(point)));
    CheckReport missing = check();
    assertEquals(1, missing.warnings().size(), missing.warnings().toString());
    assertTrue(missing.warnings().get(0).contains("has no reference list refs/" + point), missing.warnings().get(0));
    vault.withRepo(GarbageCollector::collect);
    assertTrue(check().warnings().isEmpty(), check().warnings().toString());
  }
}
