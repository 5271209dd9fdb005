package dev.vaultgate.vault.copy;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.IndexSegmentCodec;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PackCodec;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.RetentionLock;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.testing.FaultyVaultStorage;
import dev.vaultgate.vault.testing.RecordingVaultStorage;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #7's fault: radosgw restarted while a copy runs between two vaults on RGW (the cluster and its objects stay,
 * as when a gateway process is restarted or fails over). The copy rides through on its storage's retries, nothing is
 * lost, and the destination holds every chunk exactly once: no duplicate in its index segments nor in its packs.
 */
@RequiresRgw
class CopyAcrossRgwRestartTest {
  private static final int PACK = 1 << 20;

  @TempDir
  Path dir;
  private Vertx vertx;
  private VaultStorage source;
  private VaultStorage destination;
  private LocalKeyWrapper sourceKey;
  private LocalKeyWrapper destinationKey;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    // Retries long enough to outlast a radosgw restart (a few seconds), as an operator would configure them.
    source = new RetryingVaultStorage(vertx, TestRgw.newStorage(vertx, false), 30, Duration.ofMillis(250));
    destination = new RetryingVaultStorage(vertx, TestRgw.newStorage(vertx, true), 30, Duration.ofMillis(250));
    sourceKey = LocalKeyWrapper.create(dir.resolve("source.key"));
    destinationKey = LocalKeyWrapper.create(dir.resolve("destination.key"));
    await(() -> Repository.init(vertx, source, sourceKey, new VaultSettings(VaultSettings.DEFAULT_BLOCK_SIZE, PACK))).close();
    await(() -> Repository.init(vertx, destination, destinationKey, new VaultSettings(VaultSettings.DEFAULT_BLOCK_SIZE, PACK)
        .withLock(new RetentionLock(RetentionMode.GOVERNANCE, Duration.ofSeconds(1), Duration.ofDays(1))))).close();
  }

  @AfterEach
  void close() {
    source.close();
    destination.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private <T> T await(Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(300));
  }

  @Test
  void copyRidesThroughAnRgwRestartLosingNothingAndWritingNoChunkTwice() throws Exception {
    byte[] image = new byte[40 * PACK + 4321];
    new Random(21).nextBytes(image);
    for (int block = 3; block < 40 * 16; block += 7) { // duplicate blocks: dedup inside the point too
      System.arraycopy(image, 0, image, block * VaultSettings.DEFAULT_BLOCK_SIZE, VaultSettings.DEFAULT_BLOCK_SIZE);
    }
    Path disk = Files.write(dir.resolve("disk.img"), image);
    BackupResult point;
    try (Repository repo = await(() -> Repository.open(vertx, source, sourceKey)); FileBlockSource src = FileBlockSource.open(disk)) {
      point = await(() -> BackupJob.run(repo, src, BackupJob.Options.defaults("disk0")));
    }

    // Destination writes are slowed a little so that the restart falls in the middle of the copy.
    RecordingVaultStorage recorded = new RecordingVaultStorage(
        new FaultyVaultStorage(vertx, destination).delay(Duration.ofMillis(150)));
    Repository from = await(() -> Repository.open(vertx, source, sourceKey));
    Repository to = await(() -> Repository.open(vertx, recorded, destinationKey));
    Instant until = Instant.now().plus(1, ChronoUnit.HOURS);
    CompletableFuture<CopyResult> copying = new CompletableFuture<>();
    vertx.runOnContext(v -> CopyJob.run(from, to, point.recoveryPointId(), CopyJob.Options.defaults().withRetainUntil(until))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            copying.complete(ar.result());
          } else {
            copying.completeExceptionally(ar.cause());
          }
        }));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (packPuts(recorded) < 3 && !copying.isDone() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertFalse(copying.isDone(), "the copy is still running when radosgw stops");
    int packsBeforeRestart = packPuts(recorded);
    TestRgw.stopGateway();
    Thread.sleep(2000); // down for a while: the copy's requests fail and are retried meanwhile
    TestRgw.startGateway();
    CopyResult copied;
    try {
      copied = copying.get(300, TimeUnit.SECONDS);
    } finally {
      from.close();
      to.close();
    }
    assertTrue(packPuts(recorded) > packsBeforeRestart, "packs were written after the restart");
    assertEquals(point.chunksNew(), copied.chunksCopied(), "every distinct chunk copied once");

    // No duplicate chunk anywhere in the destination: index segments and pack headers alike, read raw.
    try (Repository dest = await(() -> Repository.open(vertx, destination, destinationKey))) {
      List<IndexEntry> indexed = new ArrayList<>();
      Set<String> packsIndexed = new HashSet<>();
      for (ObjectInfo segment : await(() -> destination.list(ObjectKeys.INDEX))) {
        String id = ObjectKeys.idOf(segment.key());
        byte[] sealed = await(() -> destination.get(segment.key()));
        for (IndexEntry e : IndexSegmentCodec.decode(dest.keys(), id, sealed)) {
          indexed.add(e);
          packsIndexed.add(e.packId());
        }
      }
      assertEquals(point.chunksNew(), indexed.size(), "each chunk in exactly one index entry");
      assertEquals(indexed.size(), distinct(indexed), "no chunk id indexed twice");

      List<IndexEntry> inPacks = new ArrayList<>();
      Set<String> packsStored = new HashSet<>();
      for (ObjectInfo pack : await(() -> destination.list(ObjectKeys.PACKS))) {
        String id = ObjectKeys.idOf(pack.key());
        packsStored.add(id);
        inPacks.addAll(packHeader(dest, pack, id));
      }
      assertEquals(packsIndexed, packsStored, "every stored pack is indexed, every indexed pack stored");
      assertEquals(indexed.size(), inPacks.size(), "the packs hold each chunk once");
      assertEquals(inPacks.size(), distinct(inPacks), "no chunk stored in two packs");

      CheckReport check = await(() -> VaultChecker.check(dest, true));
      assertTrue(check.ok(), check.errors().toString());
      Path target = dir.resolve("restored");
      await(() -> dest.loadPoint(point.recoveryPointId()).compose(m -> RestoreJob.run(dest, m, target, RestoreJob.Options.defaults())));
      assertArrayEquals(image, Files.readAllBytes(target), "nothing lost");
    }
  }

  private static int packPuts(RecordingVaultStorage recorded) {
    return (int) recorded.events().stream().filter(e -> e.startsWith("put " + ObjectKeys.PACKS)).count();
  }

  private static int distinct(List<IndexEntry> entries) {
    Set<ByteBuffer> ids = new HashSet<>();
    for (IndexEntry e : entries) {
      ids.add(ByteBuffer.wrap(e.chunkId()));
    }
    return ids.size();
  }

  private List<IndexEntry> packHeader(Repository dest, ObjectInfo pack, String id) {
    byte[] trailer = await(() -> destination.getRange(pack.key(), pack.size() - PackCodec.TRAILER_BYTES, PackCodec.TRAILER_BYTES));
    int headerLength = PackCodec.headerLength(id, trailer);
    byte[] header = await(() -> destination.getRange(pack.key(), pack.size() - PackCodec.TRAILER_BYTES - headerLength, headerLength));
    return PackCodec.readHeader(dest.keys(), id, header);
  }
}
