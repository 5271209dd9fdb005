package dev.vaultgate.vault.storage;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a vault lives, parsed from its URL once at start: {@code file:///abs/dir} or
 * {@code s3://bucket[/prefix]?endpoint=http://127.0.0.1:9000&region=us-east-1}.
 * {@link VaultStorages#open} turns it into a storage.
 */
public sealed interface VaultLocation permits VaultLocation.FileLocation, VaultLocation.S3Location {

  /** The canonical URL: parsing it again gives an equal location. */
  String url();

  /** A vault in a local directory. */
  record FileLocation(Path directory) implements VaultLocation {
    public FileLocation {
      if (!directory.isAbsolute()) {
        throw new IllegalArgumentException("vault directory must be absolute, not '" + directory + "'");
      }
      directory = directory.normalize();
    }

    @Override
    public String url() {
      return directory.toUri().toString().replaceAll("/$", "");
    }
  }

  /**
   * A vault under {@code prefix} (no slashes at either end, may be empty) of an S3 bucket.
   * Without an endpoint it is AWS; without a region the SDK's region chain decides, else us-east-1.
   */
  record S3Location(String bucket, String prefix, Optional<URI> endpoint, Optional<String> region)
      implements VaultLocation {
    public S3Location {
      if (!VaultLocationParser.BUCKET.matcher(bucket).matches()) {
        throw new IllegalArgumentException("'" + bucket + "' is no bucket name: 3-63 lowercase letters, digits, '.'"
            + " or '-', starting and ending with a letter or digit");
      }
      if (!prefix.isEmpty()) {
        ObjectKeyRules.checkKey(prefix);
      }
    }

    @Override
    public String url() {
      StringBuilder url = new StringBuilder("s3://").append(bucket);
      if (!prefix.isEmpty()) {
        url.append('/').append(prefix);
      }
      endpoint.ifPresent(e -> url.append("?endpoint=").append(e));
      region.ifPresent(r -> url.append(endpoint.isPresent() ? '&' : '?').append("region=").append(r));
      return url.toString();
    }
  }

  /** Parses a vault URL; a bad one fails with a one-line message naming the URL and what was expected. */
  static VaultLocation parse(String url) {
    return VaultLocationParser.parse(url);
  }
}
