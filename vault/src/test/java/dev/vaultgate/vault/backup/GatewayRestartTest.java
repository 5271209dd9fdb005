package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.RetentionLock;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.testing.FaultyVaultStorage;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
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
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RGW's gateway goes away in the middle of a backup into a locked vault: the next run completes and nothing is lost. */
@RequiresRgw
class GatewayRestartTest {
  private static final int PACK = 1 << 20;

  @TempDir
  Path dir;
  private Vertx vertx;
  private S3VaultStorage s3;
  private LocalKeyWrapper key;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    s3 = TestRgw.newStorage(vertx, true);
    key = LocalKeyWrapper.create(dir.resolve("master.key"));
  }

  @AfterEach
  void close() {
    TestRgw.startGateway(); // whatever happened in the test
    s3.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private <T> T await(Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(120));
  }

  private BackupResult backup(VaultStorage storage, Path source) throws IOException {
    Repository repo = await(() -> Repository.open(vertx, storage, key));
    try (FileBlockSource src = FileBlockSource.open(source)) {
      return await(() -> BackupJob.run(repo, src, BackupJob.Options.defaults("disk0")
          .withRetainUntil(Instant.now().plusSeconds(1800))));
    } finally {
      repo.close();
    }
  }

  @Test
  void gatewayStoppedDuringABackupThenTheNextRunCompletesAndRestoresIdentical() throws Exception {
    VaultStorage retrying = new RetryingVaultStorage(vertx, s3, 3, Duration.ofMillis(100));
    await(() -> Repository.init(vertx, retrying, key, new VaultSettings(VaultSettings.DEFAULT_BLOCK_SIZE, PACK)
        .withLock(new RetentionLock(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1))))).close();
    byte[] image = new byte[12 * PACK];
    new Random(11).nextBytes(image);
    Path source = Files.write(dir.resolve("disk.img"), image);

    // Slow every operation so the gateway can be stopped once some packs are stored and more are on the way.
    VaultStorage slow = new FaultyVaultStorage(vertx, retrying).delay(Duration.ofMillis(150));
    CompletableFuture<BackupResult> first = CompletableFuture.supplyAsync(() -> {
      try {
        return backup(slow, source);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (await(() -> s3.list("packs/")).size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    TestRgw.stopGateway();
    Exception failed = assertThrows(Exception.class, () -> first.get(120, TimeUnit.SECONDS));
    TestRgw.startGateway();

    // The first run could not name its packs in a segment (the gateway was gone): the next one adopts them.
    int storedBefore = await(() -> s3.list("packs/")).size();
    assertTrue(storedBefore >= 2, "the first run stored packs before it failed: " + failed);
    BackupResult second = backup(retrying, source);
    // Each pack holds at least 15 of the 192 blocks (1 MiB packs of 64 KiB blocks).
    assertTrue(second.chunksNew() <= 192 - 15L * storedBefore,
        "the second run reused what the first stored: " + second + ", " + storedBefore + " packs before");

    Repository repo = await(() -> Repository.open(vertx, retrying, key));
    try {
      CheckReport check = await(() -> VaultChecker.check(repo, true));
      assertTrue(check.ok(), check.errors().toString());
      Manifest point = await(() -> repo.loadPoint(second.recoveryPointId()));
      Path restored = dir.resolve("restored.img");
      await(() -> RestoreJob.run(repo, point, restored, RestoreJob.Options.defaults()));
      assertArrayEquals(image, Files.readAllBytes(restored));
    } finally {
      repo.close();
    }
  }
}
