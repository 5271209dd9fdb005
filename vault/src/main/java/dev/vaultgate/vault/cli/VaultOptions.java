package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.storage.VaultStorages;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/** The options every command shares (--vault, --master-key), and running work against the open vault. */
final class VaultOptions {
  @Option(names = "--vault", required = true, paramLabel = "URL",
      description = "The vault: file:///abs/dir or s3://bucket[/prefix]?endpoint=URL&region=REGION.")
  String vault;

  @Option(names = "--master-key", paramLabel = "FILE",
      description = "The master key file (default: $VAULTGATE_MASTER_KEY, else ~/.config/vaultgate/master.key).")
  Path masterKey;

  Path masterKeyPath() {
    if (masterKey != null) {
      return masterKey;
    }
    String env = System.getenv("VAULTGATE_MASTER_KEY");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.home"), ".config", "vaultgate", "master.key");
  }

  LocalKeyWrapper loadKey() {
    Path file = masterKeyPath();
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("master key " + file + " does not exist ('vaultgate vault init' creates one; "
          + "--master-key or VAULTGATE_MASTER_KEY names another)");
    }
    return LocalKeyWrapper.load(file);
  }

  /** The parsed --vault URL; a bad one fails here, before anything else is touched. */
  VaultLocation location() {
    return VaultLocation.parse(vault);
  }

  /** Opens Vert.x and the storage, runs {@code work}, and closes both whatever happens. */
  <T> T withStorage(Function<VaultStorageContext, Future<T>> work) {
    VaultLocation location = location();
    dev.vaultgate.vault.repo.Trace.mark("command line parsed");
    Vertx vertx = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(10_000).setMaxWorkerExecuteTime(3600L * 1_000_000_000L));
    try {
      dev.vaultgate.vault.repo.Trace.mark("vert.x started");
      VaultStorage storage = VaultStorages.open(vertx, location);
      try {
        return Await.await(vertx, () -> work.apply(new VaultStorageContext(vertx, storage)));
      } finally {
        storage.close();
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
      dev.vaultgate.vault.repo.Trace.mark("vert.x closed");
    }
  }

  /** Opens the vault with the master key, runs {@code work}, and closes everything. */
  <T> T withRepository(Function<Repository, Future<T>> work) {
    location();
    LocalKeyWrapper key = loadKey();
    return withStorage(ctx -> Repository.open(ctx.vertx(), ctx.storage(), key)
        .compose(repo -> work.apply(repo).eventually(() -> {
          repo.close();
          return Future.succeededFuture();
        })));
  }

  record VaultStorageContext(Vertx vertx, VaultStorage storage) {
  }
}
