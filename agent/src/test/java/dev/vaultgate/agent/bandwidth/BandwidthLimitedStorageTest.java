package dev.vaultgate.agent.bandwidth;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.storage.FileVaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Uploads paced to the schedule's limit through the storage decorator, on a real file vault. */
class BandwidthLimitedStorageTest {
  @TempDir
  Path dir;
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  /** 8 Mbit/s = 1 MB/s in front of a file vault in {@code dir/name}. */
  private BandwidthLimitedStorage oneMegabytePerSecond(String name) throws IOException {
    BandwidthSchedule limit = new BandwidthSchedule(OptionalLong.of(8_000_000L), List.of());
    return new BandwidthLimitedStorage(vertx, new FileVaultStorage(vertx, Files.createDirectories(dir.resolve(name))),
        () -> limit, Clock.systemUTC());
  }

  @Test
  void uploadsArePacedToTheLimitAndStoredIntact() throws Exception {
    // Three uploads of 250 kB cannot all have started before 0.5 s.
    BandwidthLimitedStorage s = oneMegabytePerSecond("v");
    byte[] data = new byte[250_000];
    new java.util.Random(1).nextBytes(data);
    long start = System.nanoTime();
    Await.await(vertx, () -> Future.all(s.put("a", data), s.put("b", data), s.put("c", data)).mapEmpty(), Duration.ofSeconds(30));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis >= 480, "paced: " + millis + " ms");
    assertArrayEquals(data, Await.await(vertx, () -> s.get("c"), Duration.ofSeconds(10)));
  }

  @Test
  void packsBuiltInPlaceArePacedByTheirLengthNotTheirBuffer() throws Exception {
    // Three packs of 250 kB in buffers of 2 MB: paced as 750 kB (0.5 s), not 6 MB (5.5 s).
    BandwidthLimitedStorage s = oneMegabytePerSecond("p");
    byte[] buffer = new byte[2_000_000];
    new java.util.Random(2).nextBytes(buffer);
    long start = System.nanoTime();
    Await.await(vertx, () -> Future.all(s.put("a", buffer, 250_000, null, false), s.put("b", buffer, 250_000, null, false),
        s.put("c", buffer, 250_000, null, false)).mapEmpty(), Duration.ofSeconds(30));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis >= 480 && millis < 3_000, "paced by length: " + millis + " ms");
    assertArrayEquals(java.util.Arrays.copyOf(buffer, 250_000), Await.await(vertx, () -> s.get("c"), Duration.ofSeconds(10)));
  }

  @Test
  void unlimitedUploadsAreNotDelayed() throws Exception {
    Files.createDirectories(dir.resolve("u"));
    BandwidthLimitedStorage s = new BandwidthLimitedStorage(vertx, new FileVaultStorage(vertx, dir.resolve("u")),
        () -> BandwidthSchedule.UNLIMITED, Clock.systemUTC());
    assertEquals(0, s.reserve(100_000_000));
    assertEquals(0, s.reserve(100_000_000));
  }

  @Test
  void storageClassOperationsPassThroughSoArchivedPacksCanBeThawed() throws Exception {
    Files.createDirectories(dir.resolve("c"));
    // an archive tier in front of a file vault: the only peer here with archive semantics is this stand-in
    dev.vaultgate.vault.testing.ArchiveTierStorage archive =
        new dev.vaultgate.vault.testing.ArchiveTierStorage(new FileVaultStorage(vertx, dir.resolve("c")), 0);
    BandwidthLimitedStorage s = new BandwidthLimitedStorage(vertx, archive, () -> BandwidthSchedule.UNLIMITED, Clock.systemUTC());
    Await.await(vertx, () -> s.put("packs/01/p", new byte[] {1, 2, 3}), Duration.ofSeconds(10));
    Await.await(vertx, () -> s.changeStorageClass("packs/01/p", "DEEP_ARCHIVE"), Duration.ofSeconds(10));
    assertTrue(Await.await(vertx, () -> s.archiveState("packs/01/p"), Duration.ofSeconds(10)).archived(), "the delegate's class is seen");
    assertEquals(java.util.Map.of("packs/01/p", "DEEP_ARCHIVE"), Await.await(vertx, () -> s.storageClasses("packs/"), Duration.ofSeconds(10)));
    Await.await(vertx, () -> s.requestRestore("packs/01/p", 1), Duration.ofSeconds(10));
    assertEquals(1, archive.restoreRequests("packs/01/p"), "the restore request reached the storage");
  }
}
