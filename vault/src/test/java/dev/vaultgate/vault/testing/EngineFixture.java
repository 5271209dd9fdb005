package dev.vaultgate.vault.testing;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.backup.ChangedExtents;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.backup.RestoreResult;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.FileVaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A vault on real storage (a directory or the in-process S3 server), a master key, and blocking helpers for tests. */
public final class EngineFixture implements AutoCloseable {
  public static final int BLOCK = VaultSettings.DEFAULT_BLOCK_SIZE;

  public final Vertx vertx = Vertx.vertx();
  public final Path dir;
  /** May be replaced by a test (a decorator, another view of the same vault): every helper uses the current one. */
  public VaultStorage storage;
  public final LocalKeyWrapper key;

  private EngineFixture(Path dir, Function<Vertx, VaultStorage> storage) {
    this.dir = dir;
    this.storage = storage.apply(vertx);
    this.key = LocalKeyWrapper.loadOrCreate(dir.resolve("master.key")); // a test may bring a vault and its key
  }

  public static EngineFixture onFiles(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("vault"));
    return new EngineFixture(dir, v -> new FileVaultStorage(v, dir.resolve("vault")));
  }

  public static EngineFixture onS3(Path dir) {
    return new EngineFixture(dir, TestVaults::newS3Storage);
  }

  /** A vault on the storage {@code storage} makes (RGW, a decorated store), with its master key in {@code dir}. */
  public static EngineFixture on(Path dir, Function<Vertx, VaultStorage> storage) {
    return new EngineFixture(dir, storage);
  }

  public static EngineFixture on(String kind, Path dir) throws IOException {
    return kind.equals("s3") ? onS3(dir) : onFiles(dir);
  }

  /** Puts a decorator (faults, retry) in front of the storage for the operations that follow. */
  public EngineFixture wrap(java.util.function.UnaryOperator<VaultStorage> decorator) {
    storage = decorator.apply(storage);
    return this;
  }

  /** Runs {@code work} on a Vert.x context and waits for its result; a failure is rethrown as it is. */
  public <T> T await(Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(120));
  }

  public Repository init() {
    return init(VaultSettings.defaults());
  }

  public Repository init(VaultSettings settings) {
    return await(() -> Repository.init(vertx, storage, key, settings));
  }

  public Repository open() {
    return await(() -> Repository.open(vertx, storage, key));
  }

  /** Opens the vault, runs {@code work} on it and waits for the result, and closes it. */
  public <T> T withRepo(Function<Repository, Future<T>> work) {
    try (Repository repo = open()) {
      return await(() -> work.apply(repo));
    }
  }

  public BackupResult backup(Path source, Manifest previous, ChangedExtents extents) {
    return backup(source, BackupJob.Options.defaults("disk0").withPrevious(previous).withChangedExtents(extents));
  }

  public BackupResult backup(Path source, BackupJob.Options options) {
    try (Repository repo = open()) {
      return backup(repo, source, options);
    }
  }

  /** A backup through {@code repo}, which stays open (a process that keeps its vault open across jobs). */
  public BackupResult backup(Repository repo, Path source, BackupJob.Options options) {
    try (FileBlockSource src = FileBlockSource.open(source)) {
      return await(() -> BackupJob.run(repo, src, options));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  public BackupResult backup(Path source) {
    return backup(source, null, null);
  }

  public Manifest point(String id) {
    try (Repository repo = open()) {
      return await(() -> repo.loadPoint(id));
    }
  }

  public RestoreResult restore(String pointId, Path target) {
    return restore(pointId, target, RestoreJob.Options.defaults());
  }

  public RestoreResult restore(String pointId, Path target, RestoreJob.Options options) {
    try (Repository repo = open()) {
      return await(() -> repo.loadPoint(pointId).compose(m -> RestoreJob.run(repo, m, target, options)));
    }
  }

  /**
   * Restores {@code point} into a new file beside {@code source} and asserts it is {@code source} byte for byte, then
   * checks the vault reading every byte: clean, with {@code notIndexed} packs that no index segment names (orphans).
   */
  public void assertRestoresAndChecksClean(BackupResult point, Path source, long notIndexed) throws IOException {
    Path target = source.resolveSibling("restored-" + point.recoveryPointId() + ".img");
    restore(point.recoveryPointId(), target);
    assertEquals(-1L, Files.mismatch(source, target), "restored byte for byte");
    try (Repository repo = open()) {
      CheckReport check = await(() -> VaultChecker.check(repo, true));
      assertTrue(check.ok(), check.errors().toString());
      assertEquals(notIndexed,
          check.warnings().stream().filter(w -> w.contains("is not indexed")).count(), check.warnings().toString());
    }
  }

  @Override
  public void close() {
    if (storage != null) {
      storage.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  /** Flips one bit of the byte at {@code offset} of {@code file} (a negative offset counts from the end): damage. */
  public static void flipBit(Path file, long offset) throws IOException {
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
      long at = offset >= 0 ? offset : f.length() + offset;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x10);
    }
  }

  /**
   * A deterministic image of mixed content: zero runs, random runs, text-like runs, and copies of earlier
   * blocks, cut at sizes that are not multiples of the block size.
   */
  public static byte[] mixedImage(long seed, int size) {
    Random r = new Random(seed);
    byte[] img = new byte[size];
    int at = 0;
    while (at < size) {
      int run = Math.min(size - at, 1 + r.nextInt(3 * BLOCK));
      switch (r.nextInt(4)) {
        case 0 -> { } // zeros
        case 1 -> {
          byte[] b = new byte[run];
          r.nextBytes(b);
          System.arraycopy(b, 0, img, at, run);
        }
        case 2 -> {
          for (int i = 0; i < run; i++) {
            img[at + i] = (byte) ("lorem ipsum dolor sit amet " + (i / 97)).charAt(i % 27);
          }
        }
        default -> {
          if (at >= BLOCK) {
            int from = r.nextInt(at / BLOCK) * BLOCK;
            System.arraycopy(img, from, img, at, Math.min(run, at - from));
          }
        }
      }
      at += run;
    }
    return img;
  }
}
