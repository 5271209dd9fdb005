package dev.vaultgate.coordinator.vaultgc;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the coordinator garbage-collects vaults.
 *
 * @param vaultMasterKeyFile the master key that wraps the vaults' keys (the gateway's {@code master.key}); null: no gc
 *     (deleted points' manifests still leave storage, their packs stay until a gc with the key)
 * @param interval the least time between two gcs of one vault
 */
public record VaultGcSettings(Path vaultMasterKeyFile, Duration interval) {
  public static final Duration DEFAULT_INTERVAL = Duration.ofHours(1);
  /** No key: deletion of manifests only. */
  public static final VaultGcSettings NONE = new VaultGcSettings(null, DEFAULT_INTERVAL);

  public VaultGcSettings {
    if (interval == null) interval = DEFAULT_INTERVAL;
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("--vault-gc-interval " + interval + ": expected more than zero");
    }
    if (vaultMasterKeyFile != null) vaultMasterKeyFile = vaultMasterKeyFile.toAbsolutePath();
  }

  public boolean collects() {
    return vaultMasterKeyFile != null;
  }
}
