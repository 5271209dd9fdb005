package dev.vaultgate.vault.storage;

import io.vertx.core.Vertx;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/** Opens the storage a {@link VaultLocation} names, wrapped in the default {@link RetryingVaultStorage}. */
public final class VaultStorages {
  private VaultStorages() {
  }

  /** Parses {@code url} ({@code file:///abs/dir} or {@code s3://bucket/prefix?endpoint=...}) and opens it. */
  public static VaultStorage open(Vertx vertx, String url) {
    return open(vertx, VaultLocation.parse(url));
  }

  /**
   * Opens the vault without touching it: a missing directory or bucket, or refused credentials, show up as a
   * {@link StorageUnavailableException} on the first operation. S3 credentials come from the SDK's default
   * chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws, instance roles).
   */
  public static VaultStorage open(Vertx vertx, VaultLocation location) {
    VaultStorage storage;
    if (location instanceof VaultLocation.FileLocation file) {
      storage = new FileVaultStorage(vertx, file.directory());
    } else if (location instanceof VaultLocation.S3Location s3) {
      Region region = s3.region().map(Region::of).orElseGet(VaultStorages::defaultRegion);
      storage = new S3VaultStorage(vertx,
          S3VaultStorage.newClient(s3.endpoint().orElse(null), region, DefaultCredentialsProvider.builder().build()),
          s3.bucket(), s3.prefix());
    } else {
      throw new IllegalArgumentException("unknown vault location " + location);
    }
    return new RetryingVaultStorage(vertx, storage);
  }

  /** The SDK's region chain (AWS_REGION, profile, instance metadata), else us-east-1 as S3 itself assumes. */
  private static Region defaultRegion() {
    try {
      return new DefaultAwsRegionProviderChain().getRegion();
    } catch (RuntimeException none) {
      return Region.US_EAST_1;
    }
  }
}
