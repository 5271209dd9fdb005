package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.ForwardingVaultStorage;
import dev.vaultgate.vault.testing.EngineFixture;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A restore through a repository opened without its index (the CLI's, a fresh gateway's) reads only the index segments
 * that its point's reference list names, not the index of every disk in the vault; a list that is missing, damaged,
 * names a segment that is gone or leaves one out is not trusted, and the whole index is read instead. Each restore
 * is byte for byte. Real file storage; the wrapper only records the keys read.
 */
class PointIndexRestoreTest {
  private static final int PACK = 1 << 20;

  @TempDir
  Path tmp;
  private EngineFixture vault;
  private Path sourceA;
  private String pointA;
  private Set<String> segmentsOfA;
  private int allSegments;
  private final List<String> segmentReads = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void setUp() throws IOException {
    vault = EngineFixture.onFiles(tmp);
    vault.await(() -> Repository.init(vault.vertx, vault.storage, vault.key, new VaultSettings(EngineFixture.BLOCK, PACK))).close();
    sourceA = image("a.img", 1);
    Path sourceB = image("b.img", 2);
    try (Repository repo = vault.open()) {
      repo.segmentEntries(40); // packs of 1 MiB hold about 15 blocks: a few segments per disk
      pointA = vault.backup(repo, sourceA, BackupJob.Options.defaults("disk0")).recoveryPointId();
      vault.backup(repo, sourceB, BackupJob.Options.defaults("disk0"));
    }
    segmentsOfA = references(pointA).segmentIds();
    allSegments = vault.await(() -> vault.storage.list(ObjectKeys.INDEX)).size();
    assertTrue(segmentsOfA.size() >= 2 && segmentsOfA.size() < allSegments,
        "disk A needs some of the vault's segments: " + segmentsOfA.size() + " of " + allSegments);
    vault.wrap(s -> new ForwardingVaultStorage(s) {
      @Override
      public Future<byte[]> get(String key) {
        if (key.startsWith(ObjectKeys.INDEX)) {
          segmentReads.add(ObjectKeys.idOf(key));
        }
        return super.get(key);
      }
    });
  }

  @AfterEach
  void tearDown() {
    vault.close();
  }

  private Path image(String name, long seed) throws IOException {
    byte[] image = new byte[6 * PACK + 321];
    new Random(seed).nextBytes(image);
    return Files.write(tmp.resolve(name), image);
  }

  private PointReferences references(String point) {
    return PointReferences.decode(point, vault.await(() -> vault.storage.get(ObjectKeys.refs(point))));
  }

  private void writeReferences(byte[] bytes) {
    vault.await(() -> vault.storage.put(ObjectKeys.refs(pointA), bytes));
  }

  /** Restores point A as the CLI does, through a repository opened without its index, and checks every byte. */
  private void restoreWithoutIndex() throws IOException {
    Path target = tmp.resolve("restored-" + System.nanoTime() + ".img");
    try (Repository repo = vault.await(() -> Repository.openWithoutIndex(vault.vertx, vault.storage, vault.key))) {
      vault.await(() -> repo.loadPoint(pointA).compose(m -> RestoreJob.run(repo, m, target, RestoreJob.Options.defaults())));
    }
    assertEquals(-1L, Files.mismatch(sourceA, target), "restored byte for byte");
  }

  @Test
  void aRestoreReadsOnlyTheSegmentsItsPointNeeds() throws IOException {
    restoreWithoutIndex();
    assertEquals(segmentsOfA, new TreeSet<>(segmentReads), "the segments of A's reference list, and no other");
    assertEquals(segmentsOfA.size(), segmentReads.size(), "each once: " + segmentReads);
  }

  @Test
  void withoutAReferenceListTheWholeIndexIsRead() throws IOException {
    vault.await(() -> vault.storage.delete(ObjectKeys.refs(pointA)));
    restoreWithoutIndex();
    assertEquals(allSegments, segmentReads.size(), segmentReads.toString());
  }

  @Test
  void aDamagedReferenceListIsNotTrusted() throws IOException {
    writeReferences("{\"version\": 1, \"point\": ".getBytes(StandardCharsets.UTF_8));
    restoreWithoutIndex();
    assertEquals(allSegments, segmentReads.size(), segmentReads.toString());
  }

  @Test
  void aReferenceListThatLeavesASegmentOutIsNotTrusted() throws IOException {
    Set<String> objects = new TreeSet<>(references(pointA).objects());
    objects.remove(ObjectKeys.index(segmentsOfA.iterator().next()));
    writeReferences(new PointReferences(pointA, objects).encode());
    restoreWithoutIndex();
    assertEquals(segmentsOfA.size() - 1 + allSegments, segmentReads.size(), "the list's segments, then all of them");
  }

  @Test
  void aReferenceListNamingASegmentThatIsGoneIsNotTrusted() throws IOException {
    Set<String> objects = new TreeSet<>(references(pointA).objects());
    objects.add(ObjectKeys.index(ObjectIds.newId())); // as after a gc that merged segments, before it fixed the lists
    writeReferences(new PointReferences(pointA, objects).encode());
    restoreWithoutIndex();
    assertTrue(segmentReads.size() >= allSegments, "the whole index was read: " + segmentReads.size());
  }
}
