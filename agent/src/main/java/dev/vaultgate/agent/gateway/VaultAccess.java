package dev.vaultgate.agent.gateway;

import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.RetentionLock;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.storage.VaultStorages;
import dev.vaultgate.vault.format.ObjectKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * Opens the vault a job names (a VaultLocation URL) with the gateway's master key, creating the vault on first use.
 * Opens of one location are serialised, so two jobs that start together do not both create it. Each job gets its
 * own {@link Repository} (its own index view and CPU executor) and closes it with {@link Opened#close()}.
 */
public final class VaultAccess {
  private final Vertx vertx;
  private final Path masterKeyFile;
  private final AwsCredentialsProvider s3Credentials;
  private final Map<String, Future<?>> lastOpen = new HashMap<>();
  private final java.util.function.UnaryOperator<VaultStorage> decorate;

  public VaultAccess(Vertx vertx, Path masterKeyFile) {
    this(vertx, masterKeyFile, null);
  }

  /** @param s3Credentials for S3 vaults; null: the SDK's default chain */
  public VaultAccess(Vertx vertx, Path masterKeyFile, AwsCredentialsProvider s3Credentials) {
    this(vertx, masterKeyFile, s3Credentials, java.util.function.UnaryOperator.identity());
  }

  /** @param decorate wraps each vault's storage (e.g. the appliance's bandwidth pacing of uploads) */
  public VaultAccess(Vertx vertx, Path masterKeyFile, AwsCredentialsProvider s3Credentials,
      java.util.function.UnaryOperator<VaultStorage> decorate) {
    this.decorate = decorate;
    this.vertx = vertx;
    this.masterKeyFile = masterKeyFile;
    this.s3Credentials = s3Credentials;
  }

  /** An open vault and its storage. */
  public record Opened(Repository repo, VaultStorage storage) {
    public void close() {
      try {
        repo.close();
      } finally {
        storage.close();
      }
    }
  }

  /** Opens the vault at {@code location}, creating it (and the master key file) when the storage holds none yet. */
  public Future<Opened> open(String location) {
    return open(location, null);
  }

  /**
   * {@link #open(String)} for a vault the coordinator has locked: a new vault is created with {@code lock} (which
   * fails, with the reason, unless the storage is a bucket with Object Lock), and an existing vault must be locked
   * in its storage too. Null: no lock required.
   */
  public Future<Opened> open(String location, RetentionLock lock) {
    Future<Opened> opened;
    synchronized (lastOpen) {
      Future<?> before = lastOpen.getOrDefault(location, Future.succeededFuture());
      opened = before.transform(ignored -> openNow(location, lock));
      lastOpen.put(location, opened);
    }
    return opened;
  }

  private Future<Opened> openNow(String location, RetentionLock lock) {
    VaultLocation parsed;
    VaultStorage raw;
    try {
      parsed = VaultLocation.parse(location);
      raw = s3Credentials != null && parsed instanceof VaultLocation.S3Location s3
          ? new RetryingVaultStorage(vertx, new S3VaultStorage(vertx, S3VaultStorage.newClient(s3.endpoint().orElse(null),
              Region.of(s3.region().orElse("us-east-1")), s3Credentials), s3.bucket(), s3.prefix()))
          : VaultStorages.open(vertx, parsed);
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalArgumentException("cannot open vault " + location + ": " + e.getMessage(), e));
    }
    VaultStorage storage = decorate.apply(raw);
    return vertx.executeBlocking(() -> {
          if (parsed instanceof VaultLocation.FileLocation file) {
            Files.createDirectories(file.directory()); // a new vault's directory, as a bucket prefix needs nothing
          }
          return LocalKeyWrapper.loadOrCreate(masterKeyFile);
        }, false)
        .compose(key -> storage.stat(ObjectKeys.CONFIG).transform(ar -> {
          if (ar.succeeded()) {
            return Repository.open(vertx, storage, key);
          }
          if (ar.cause() instanceof ObjectNotFoundException) {
            return Repository.init(vertx, storage, key, lock == null ? VaultSettings.defaults() : VaultSettings.defaults().withLock(lock));
          }
          return Future.failedFuture(ar.cause());
        }))
        .compose(repo -> {
          if (lock != null && !repo.config().settings().locked()) {
            repo.close();
            return Future.failedFuture(new IllegalStateException("cannot write to vault " + location + " under its vault lock: the"
                + " vault in storage was created without Object Lock retention (it predates the lock); copy its points into a"
                + " vault created after the lock"));
          }
          return Future.succeededFuture(repo);
        })
        .map(repo -> new Opened(repo, storage))
        .onFailure(e -> storage.close());
  }
}
