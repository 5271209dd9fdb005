package dev.vaultgate.agent.gateway;

import dev.vaultgate.vault.crypto.KeyWrapper;
import dev.vaultgate.vault.crypto.KmsKeyException;
import dev.vaultgate.vault.crypto.KmsKeyWrapper;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.repo.KeyGeneration;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.RetentionLock;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.CachingVaultStorage;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.storage.VaultStorages;
import dev.vaultgate.vault.format.ObjectKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * Opens the vault a job names (a VaultLocation URL), creating the vault on first use. A vault's keys are wrapped
 * either by the gateway's master key file or, for a vault created with an EncryptionKeyArn, by that KMS key
 * through the configured KMS ({@link KmsKeyWrapper}); which one is the vault config's to say once the vault exists
 * (its wrapped key records its scheme), so a vault made with KMS keeps opening with KMS. Opens of one location are
 * serialised, so two jobs that start together do not both create it. Each job gets its own {@link Repository}
 * (its own index view and CPU executor) and closes it with {@link Opened#close()}. The repository is opened without
 * its index ({@link Repository#openWithoutIndex}): a backup, copy or gc reads it under its vault lock, and a restore
 * reads only the segments its point needs, so restoring one VM from a vault of many does not read the index of all.
 */
public final class VaultAccess {
  private static final Logger LOG = LoggerFactory.getLogger(VaultAccess.class);

  private final Vertx vertx;
  private final GatewayConfig.Kms kms;
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
    this(vertx, masterKeyFile, s3Credentials, decorate, null);
  }

  /** @param kms the KMS of vaults created with an EncryptionKeyArn; null: none (opening such a vault fails) */
  public VaultAccess(Vertx vertx, Path masterKeyFile, AwsCredentialsProvider s3Credentials,
      java.util.function.UnaryOperator<VaultStorage> decorate, GatewayConfig.Kms kms) {
    this.kms = kms;
    this.decorate = decorate;
    this.vertx = vertx;
    this.masterKeyFile = masterKeyFile;
    this.s3Credentials = s3Credentials;
  }

  /** Where copies of S3 vaults' index segments are kept between jobs; null: none. */
  private volatile Path indexCache;

  /**
   * Keeps copies of S3 vaults' index segments under {@code cacheRoot} ({@link CachingVaultStorage}), so that a job
   * opening a vault reads from S3 only the segments written since the last job, not one per pack ever stored.
   */
  public VaultAccess cacheIndexSegmentsUnder(Path cacheRoot) {
    this.indexCache = cacheRoot;
    return this;
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
    return open(location, lock, null);
  }

  /**
   * {@link #open(String, RetentionLock)} for a vault created with KMS key {@code kmsKeyArn} (the job's {@code
   * encryptionKeyArn}; null: none): a new vault's keys are wrapped with that key; an existing vault whose keys are
   * wrapped by KMS is opened only once the key is found enabled. A disabled, deleted or unknown key fails the open
   * with one line naming the key and the vault, before anything is written.
   */
  public Future<Opened> open(String location, RetentionLock lock, String kmsKeyArn) {
    return open(location, lock, kmsKeyArn, false);
  }

  /**
   * {@link #open(String, RetentionLock, String)} for a job that writes points (a backup, a copy's destination): when
   * the vault's keys are wrapped by KMS key {@code kmsKeyArn} and that key rotated (ListKeyRotations) since the vault's
   * newest data-key generation was made, a new generation is added first ({@link Repository#rekey}: KMS
   * GenerateDataKey under the newest material), so new points use the new key with no operator step. A KMS that
   * cannot list rotations (an older coordinator, a missing permission) is logged and the job goes on under the
   * current generation; a rotation that fails to be stored fails the open.
   */
  public Future<Opened> openForWriting(String location, RetentionLock lock, String kmsKeyArn) {
    return open(location, lock, kmsKeyArn, true);
  }

  private Future<Opened> open(String location, RetentionLock lock, String kmsKeyArn, boolean followKmsRotation) {
    Future<Opened> opened;
    synchronized (lastOpen) {
      Future<?> before = lastOpen.getOrDefault(location, Future.succeededFuture());
      opened = before.transform(ignored -> openNow(location, lock, kmsKeyArn, followKmsRotation));
      lastOpen.put(location, opened);
    }
    return opened;
  }

  private Future<Opened> openNow(String location, RetentionLock lock, String kmsKeyArn, boolean followKmsRotation) {
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
    Path cacheRoot = indexCache;
    VaultStorage storage = cacheRoot != null && parsed instanceof VaultLocation.S3Location
        ? new CachingVaultStorage(vertx, decorate.apply(raw), CachingVaultStorage.directoryFor(cacheRoot, location), ObjectKeys.INDEX)
        : decorate.apply(raw);
    return vertx.executeBlocking(() -> {
          if (parsed instanceof VaultLocation.FileLocation file) {
            Files.createDirectories(file.directory()); // a new vault's directory, as a bucket prefix needs nothing
          }
          return null;
        }, false)
        .compose(v -> storage.get(ObjectKeys.CONFIG).transform(ar -> {
          if (ar.succeeded()) {
            return Future.succeededFuture(keySchemes(ar.result()));
          }
          return ar.cause() instanceof ObjectNotFoundException ? Future.succeededFuture((Set<String>) null)
              : Future.failedFuture(ar.cause());
        }))
        .compose(schemes -> vertx.executeBlocking(() -> wrapperFor(location, schemes, kmsKeyArn), false)
            .compose(key -> (schemes != null ? Repository.openWithoutIndex(vertx, storage, key)
                : Repository.init(vertx, storage, key, lock == null ? VaultSettings.defaults() : VaultSettings.defaults().withLock(lock)))
                // a vault made just now has the key's newest material already
                .compose(repo -> followKmsRotation && schemes != null && key instanceof KmsKeyWrapper kms && kms.namesKey()
                    ? followKmsRotation(repo, kms, location) : Future.succeededFuture(repo))
                .recover(e -> Future.failedFuture(e instanceof KmsKeyException && !e.getMessage().startsWith("cannot open vault ")
                    ? new KmsKeyException("cannot open vault " + location + ": " + e.getMessage()) : e))
                .eventually(() -> {
                  if (key instanceof KmsKeyWrapper k) k.close(); // the keys are unwrapped: the KMS is needed no more
                  return Future.succeededFuture();
                })))
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

  /** Adds a data-key generation when the KMS key rotated after the vault's newest one; closes the repository on failure. */
  private Future<Repository> followKmsRotation(Repository repo, KmsKeyWrapper kms, String location) {
    KeyGeneration newest = repo.currentKeyGeneration();
    return vertx.executeBlocking(kms::latestRotation, false)
        .recover(e -> {
          LOG.warn("vault {}: cannot tell whether KMS key {} rotated ({}); this job keeps the vault's data-key generation {}",
              location, kms.keyId(), e.getMessage(), newest.label());
          return Future.succeededFuture(null);
        })
        .compose(rotated -> {
          if (!newest.predatesKmsRotation(rotated)) {
            return Future.succeededFuture(repo);
          }
          return repo.rekey(kms, rotated).map(made -> {
            LOG.info("vault {}: KMS key {} rotated at {}, after data-key generation {}: new points use generation {}",
                location, kms.keyId(), rotated, newest.label(), made.id());
            return repo;
          }).recover(e -> {
            repo.close();
            return Future.failedFuture(e instanceof KmsKeyException ? new KmsKeyException("cannot add a data-key generation after KMS"
                + " key " + kms.keyId() + " rotated: " + e.getMessage()) : e);
          });
        });
  }

  /** What wraps a vault's keys: the gateway's master key file, or a KMS key. */
  enum KeyScheme {
    LOCAL, KMS
  }

  /**
   * Which wrapper opens or creates a vault: a new vault ({@code schemesInVault} null) is made with KMS when the job
   * names a key, else with the master key file; an existing vault is opened as its config says (KMS when any of
   * its keys is wrapped by KMS), whatever the job names, so a vault keeps opening the way it was made.
   */
  static KeyScheme choose(Set<String> schemesInVault, String kmsKeyArn) {
    if (schemesInVault == null) return kmsKeyArn != null ? KeyScheme.KMS : KeyScheme.LOCAL;
    return schemesInVault.contains("kms") ? KeyScheme.KMS : KeyScheme.LOCAL;
  }

  /**
   * The schemes of the wrapped keys a vault's config object lists (its {@code keys[].scheme}, in the clear); an
   * object that cannot be read gives none, and {@link Repository#open} then says what is wrong with it.
   */
  static Set<String> keySchemes(byte[] config) {
    Set<String> out = new LinkedHashSet<>();
    try {
      JsonArray keys = new JsonObject(new String(config, StandardCharsets.UTF_8)).getJsonArray("keys");
      for (int i = 0; keys != null && i < keys.size(); i++) {
        Object k = keys.getValue(i);
        if (k instanceof JsonObject o && o.getValue("scheme") instanceof String scheme) out.add(scheme);
      }
    } catch (RuntimeException e) {
      // not JSON: Repository.open names the corrupt config
    }
    return out;
  }

  /** The key wrapper for the vault at {@code location}; blocking (a key file read, or a KMS DescribeKey). */
  private KeyWrapper wrapperFor(String location, Set<String> schemesInVault, String kmsKeyArn) throws java.io.IOException {
    KeyScheme scheme = choose(schemesInVault, kmsKeyArn);
    if (scheme == KeyScheme.LOCAL) {
      if (kmsKeyArn != null) {
        LOG.warn("vault {} names KMS key {} but its keys were wrapped by the gateway's master key when it was created;"
            + " it is opened with that key", location, kmsKeyArn);
      }
      return LocalKeyWrapper.loadOrCreate(masterKeyFile);
    }
    String key = kmsKeyArn != null ? kmsKeyArn : "(the one its config names)";
    if (kms == null) {
      throw new KmsKeyException("cannot open vault " + location + ": its keys are wrapped by KMS key " + key
          + " and this gateway has no KMS configured (kms: endpoint, region, credentials)");
    }
    try {
      var client = KmsKeyWrapper.client(kms.endpoint(), kms.region(), kms.credentials());
      return kmsKeyArn != null ? KmsKeyWrapper.forKey(client, true, kmsKeyArn, kms.describe())
          : KmsKeyWrapper.forOpening(client, true, kms.describe());
    } catch (KmsKeyException e) {
      throw new KmsKeyException("cannot open vault " + location + ": " + e.getMessage());
    }
  }
}
