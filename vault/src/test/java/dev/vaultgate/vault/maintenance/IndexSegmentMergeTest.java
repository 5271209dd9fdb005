package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.ForwardingVaultStorage;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.testing.EngineFixture;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every backup writes at least one index segment and every open reads them all, so gc merges them when there are many,
 * into segments of bounded size, and a reader that lists segments a gc then replaced reads the index again.
 */
class IndexSegmentMergeTest {
  private static final int POINTS = 6;

  @TempDir
  Path dir;
  private EngineFixture vault;
  private final Map<String, byte[]> images = new LinkedHashMap<>();
  private int entries;

  @BeforeEach
  void sixBackupsOfDistinctImages() throws IOException {
    vault = EngineFixture.onFiles(dir);
    vault.init().close();
    for (int i = 0; i < POINTS; i++) {
      byte[] image = new byte[3 * EngineFixture.BLOCK + 100 * i];
      new Random(40 + i).nextBytes(image);
      BackupResult r = vault.backup(Files.write(dir.resolve("image-" + i), image));
      images.put(r.recoveryPointId(), image);
      entries += r.chunksNew();
    }
    assertEquals(POINTS, segments().size(), "one segment per backup");
  }

  @AfterEach
  void close() {
    vault.close();
  }

  private List<ObjectInfo> segments() {
    return vault.await(() -> vault.storage.list(ObjectKeys.INDEX));
  }

  private GcReport gc(int mergeAbove, int segmentEntries) {
    return vault.withRepo(repo -> GarbageCollector.collect(repo, mergeAbove, segmentEntries));
  }

  private void everyPointRestores() throws IOException {
    for (Map.Entry<String, byte[]> point : images.entrySet()) {
      Path target = dir.resolve("restored-" + point.getKey());
      vault.restore(point.getKey(), target);
      assertArrayEquals(point.getValue(), Files.readAllBytes(target), point.getKey());
    }
  }

  @Test
  void manySegmentsAreMergedIntoOneWhenNothingElseIsCollectedAndThenLeftAlone() throws IOException {
    GcReport report = gc(POINTS - 1, 1000);
    assertEquals(POINTS, report.indexSegmentsReplaced(), report.toString());
    assertEquals(0, report.packsDeleted() + report.packsRepacked(), report.toString());
    assertEquals(1, segments().size());
    try (Repository repo = vault.open()) {
      assertEquals(entries, repo.index().size(), "every chunk indexed once");
    }
    everyPointRestores();

    GcReport again = gc(POINTS - 1, 1000);
    assertEquals(0, again.indexSegmentsReplaced(), "one segment is below the limit: nothing rewritten");
    assertEquals(1, segments().size());
  }

  @Test
  void mergedSegmentsHoldAtMostTheEntryLimit() throws IOException {
    int limit = 5;
    gc(POINTS - 1, limit);
    assertEquals((entries + limit - 1) / limit, segments().size(), entries + " entries");
    try (Repository repo = vault.open()) {
      assertEquals(entries, repo.index().size());
    }
    everyPointRestores();
  }

  @Test
  void aFewSegmentsAreLeftAsTheyAre() {
    GcReport report = gc(POINTS, 1000);
    assertEquals(0, report.indexSegmentsReplaced(), report.toString());
    assertEquals(POINTS, segments().size());
  }

  @Test
  void anOpenThatListedASegmentAGcThenReplacedReadsTheIndexAgainFromAFreshListing() throws IOException {
    // The first listing names a segment that is gone by the time it is read, as one a gc merged away would be.
    AtomicInteger listings = new AtomicInteger();
    vault.wrap(storage -> new ForwardingVaultStorage(storage) {
      @Override
      public Future<List<ObjectInfo>> list(String prefix) {
        return super.list(prefix).map(objects -> {
          if (!prefix.equals(ObjectKeys.INDEX) || listings.incrementAndGet() > 1) {
            return objects;
          }
          List<ObjectInfo> stale = new ArrayList<>(objects);
          stale.add(new ObjectInfo(ObjectKeys.index(ObjectIds.newId()), 100));
          return stale;
        });
      }
    });
    try (Repository repo = vault.open()) {
      assertEquals(2, listings.get(), "listed again after the vanished segment");
      assertEquals(entries, repo.index().size());
    }
    everyPointRestores();
  }
}
