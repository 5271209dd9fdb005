package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.FileVaultStorage;
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
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vault check} holds each point's keyless reference list against its sealed manifest; gc repairs a list. */
class ReferenceListsTest {
  @TempDir
  Path dir;
  private Vertx vertx;
  private FileVaultStorage storage;
  private LocalKeyWrapper key;
  private String point;

  @BeforeEach
  void backUp() throws IOException {
    vertx = Vertx.vertx();
    Files.createDirectories(dir.resolve("vault"));
    storage = new FileVaultStorage(vertx, dir.resolve("vault"));
    key = LocalKeyWrapper.create(dir.resolve("master.key"));
    await(() -> Repository.init(vertx, storage, key, new VaultSettings(VaultSettings.DEFAULT_BLOCK_SIZE, 1 << 20))).close();
    byte[] data = new byte[3 << 20];
    new Random(3).nextBytes(data);
    Path image = Files.write(dir.resolve("image"), data);
    Repository repo = await(() -> Repository.open(vertx, storage, key));
    try (FileBlockSource src = FileBlockSource.open(image)) {
      point = await(() -> BackupJob.run(repo, src, BackupJob.Options.defaults("disk0"))).recoveryPointId();
    } finally {
      repo.close();
    }
  }

  @AfterEach
  void close() {
    storage.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private <T> T await(Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(60));
  }

  private <T> T withRepo(Function<Repository, Future<T>> work) {
    Repository repo = await(() -> Repository.open(vertx, storage, key));
    try {
      return await(() -> work.apply(repo));
    } finally {
      repo.close();
    }
  }

  private CheckReport check() {
    return withRepo(repo -> VaultChecker.check(repo, false));
  }

  @Test
  void aListThatMissesAPackIsReportedAndGcRewritesIt() {
    assertTrue(check().warnings().isEmpty(), check().warnings().toString());
    PointReferences list = PointReferences.decode(point, await(() -> storage.get(ObjectKeys.refs(point))));
    Set<String> fewer = new TreeSet<>(list.objects());
    String dropped = fewer.stream().filter(k -> k.startsWith(ObjectKeys.PACKS)).findFirst().orElseThrow();
    fewer.remove(dropped);
    await(() -> storage.put(ObjectKeys.refs(point), new PointReferences(point, fewer).encode()));

    CheckReport tampered = check();
    assertTrue(tampered.ok(), "the point itself restores: " + tampered.errors());
    assertEquals(1, tampered.warnings().size(), tampered.warnings().toString());
    assertTrue(tampered.warnings().get(0).startsWith("refs/" + point + " does not name 1 object(s) the point needs (first "
        + dropped + ")"), tampered.warnings().get(0));

    withRepo(GarbageCollector::collect);
    assertTrue(check().warnings().isEmpty(), "gc rewrote the list: " + check().warnings());
  }

  @Test
  void aPointWithoutAListIsReportedAndGcWritesOne() {
    await(() -> storage.delete(ObjectKeys.refs(point)));
    CheckReport missing = check();
    assertEquals(1, missing.warnings().size(), missing.warnings().toString());
    assertTrue(missing.warnings().get(0).contains("has no reference list refs/" + point), missing.warnings().get(0));
    withRepo(GarbageCollector::collect);
    assertTrue(check().warnings().isEmpty(), check().warnings().toString());
  }
}
