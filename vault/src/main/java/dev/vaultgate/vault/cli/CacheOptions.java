package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.storage.CachingVaultStorage;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Vertx;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** --cache-dir and --no-cache: where the copies of S3 vaults' index segments are kept between commands. */
final class CacheOptions {
  @Option(names = "--cache-dir", paramLabel = "DIR",
      description = "Keep copies of an S3 vault's index segments under DIR/vaults/ between commands, so that opening the"
          + " vault again reads only the new ones from S3 (default: $VAULTGATE_CACHE_DIR, else $XDG_CACHE_HOME/vaultgate,"
          + " else ~/.cache/vaultgate).")
  Path cacheDir;

  @Option(names = "--no-cache", description = "Read every index segment of an S3 vault from S3, and keep no copies.")
  boolean noCache;

  /** The directory of the cached index segments of the vault at {@code url} (one per URL), or null for none. */
  Path directoryFor(VaultLocation location, String url) {
    if (noCache || !(location instanceof VaultLocation.S3Location)) {
      return null; // a file:// vault is already on a local disk
    }
    Path root = cacheDir;
    if (root == null) {
      String env = System.getenv("VAULTGATE_CACHE_DIR");
      String xdg = System.getenv("XDG_CACHE_HOME");
      root = env != null && !env.isBlank() ? Path.of(env)
          : xdg != null && !xdg.isBlank() ? Path.of(xdg, "vaultgate")
          : Path.of(System.getProperty("user.home"), ".cache", "vaultgate");
    }
    return CachingVaultStorage.directoryFor(root, url);
  }

  /** {@code opened} behind the cache of its index segments, or as it is when it gets none. */
  VaultStorage wrap(Vertx vertx, VaultStorage opened, VaultLocation location, String url) {
    Path cache = directoryFor(location, url);
    return cache == null ? opened : new CachingVaultStorage(vertx, opened, cache, ObjectKeys.INDEX);
  }
}
