package dev.vaultgate.appliance;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.storage.VaultStorages;
import io.vertx.core.Vertx;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/** The vault's storage as the config names it, with the config's S3 credentials when it has some. */
final class ApplianceStorage {
  private ApplianceStorage() {
  }

  /** Storage for jobs: retried with backoff, as the vault engine expects. */
  static VaultStorage open(Vertx vertx, ApplianceConfig config) {
    VaultStorage raw = openRaw(vertx, config);
    return raw instanceof RetryingVaultStorage ? raw : new RetryingVaultStorage(vertx, raw);
  }

  /** Storage for the health probe: not retried, so an outage shows at once. */
  static VaultStorage openRaw(Vertx vertx, ApplianceConfig config) {
    VaultLocation location = VaultLocation.parse(config.vault().url());
    if (location instanceof VaultLocation.S3Location s3 && config.s3().isPresent()) {
      ApplianceConfig.S3Credentials c = config.s3().get();
      return new S3VaultStorage(vertx, S3VaultStorage.newClient(s3.endpoint().orElse(null), s3.region().map(Region::of).orElse(Region.US_EAST_1),
          StaticCredentialsProvider.create(AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey()))), s3.bucket(), s3.prefix());
    }
    if (location instanceof VaultLocation.FileLocation file) {
      return new dev.vaultgate.vault.storage.FileVaultStorage(vertx, file.directory());
    }
    return VaultStorages.open(vertx, location); // the SDK's default credential chain
  }
}
