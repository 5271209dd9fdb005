package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.crypto.KeyWrapper;
import dev.vaultgate.vault.crypto.KmsKeyWrapper;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.storage.VaultStorages;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/** The options every command shares (--vault, --master-key, --kms-endpoint, the cache), and running work against the open vault. */
final class VaultOptions {
  @Option(names = "--vault", required = true, paramLabel = "URL",
      description = "The vault: file:///abs/dir or s3://bucket[/prefix]?endpoint=URL&region=REGION.")
  String vault;

  @Option(names = "--master-key", paramLabel = "FILE",
      description = "The master key file (default: $VAULTGATE_MASTER_KEY, else ~/.config/vaultgate/master.key).")
  Path masterKey;

  @Option(names = "--kms-endpoint", paramLabel = "URL",
      description = "The vault's keys are wrapped by a KMS key: the KMS API at URL (a Vaultgate coordinator, or"
          + " https://kms.REGION.amazonaws.com). Default: $VAULTGATE_KMS_ENDPOINT. Credentials: the AWS SDK's default chain.")
  String kmsEndpoint;

  @Option(names = "--kms-region", paramLabel = "REGION",
      description = "The KMS's region (default: $AWS_REGION, else us-east-1).")
  String kmsRegion;

  @Mixin
  CacheOptions cache = new CacheOptions();

  /** The KMS endpoint, or null when the vault's keys are wrapped by the local master key. */
  String kmsEndpoint() {
    if (kmsEndpoint != null) return kmsEndpoint;
    String env = System.getenv("VAULTGATE_KMS_ENDPOINT");
    return env == null || env.isBlank() ? null : env;
  }

  /** A KMS client; {@code endpoint} null means AWS KMS of the region. A bad URL fails with the option's name. */
  software.amazon.awssdk.services.kms.KmsAsyncClient kmsClient(String endpoint) {
    URI uri = null;
    if (endpoint != null) {
      try {
        uri = URI.create(endpoint);
      } catch (IllegalArgumentException e) {
        uri = null;
      }
      if (uri == null || uri.getScheme() == null || uri.getHost() == null) {
        throw new IllegalArgumentException("--kms-endpoint '" + endpoint + "' is not an http(s) URL");
      }
    }
    String region = kmsRegion != null ? kmsRegion : System.getenv().getOrDefault("AWS_REGION", "us-east-1");
    return KmsKeyWrapper.client(uri, region, null);
  }

  /** What unwraps the vault's keys: a KMS when an endpoint is given, else the local master key file. */
  KeyWrapper openingKey() {
    String endpoint = kmsEndpoint();
    if (endpoint != null) return KmsKeyWrapper.forOpening(kmsClient(endpoint), true, endpoint);
    return loadKey();
  }

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
    Vertx vertx = VaultgateCli.newVertx();
    try {
      dev.vaultgate.vault.repo.Trace.mark("vert.x started");
      VaultStorage opened = VaultStorages.open(vertx, location);
      VaultStorage storage = cache.wrap(vertx, opened, location, vault);
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
    return withRepository(true, work);
  }

  /**
   * {@link #withRepository(Function)} without reading the vault's index ({@link Repository#openWithoutIndex}): for
   * commands that need only the keys and the manifests, and so cost no GET per index segment, and for backup and gc,
   * whose jobs read the index themselves ({@link Repository#refreshIndex}, under their vault locks), so that it is
   * listed and read once, and restore, which reads only its point's segments ({@link Repository#indexOfPoint}).
   */
  <T> T withRepositoryWithoutIndex(Function<Repository, Future<T>> work) {
    return withRepository(false, work);
  }

  private <T> T withRepository(boolean index, Function<Repository, Future<T>> work) {
    location();
    KeyWrapper key = openingKey();
    try {
      return withStorage(ctx -> (index ? Repository.open(ctx.vertx(), ctx.storage(), key)
              : Repository.openWithoutIndex(ctx.vertx(), ctx.storage(), key))
          .compose(repo -> work.apply(repo).eventually(() -> {
            repo.close();
            return Future.succeededFuture();
          })));
    } finally {
      if (key instanceof KmsKeyWrapper kms) kms.close();
    }
  }

  record VaultStorageContext(Vertx vertx, VaultStorage storage) {
  }
}
