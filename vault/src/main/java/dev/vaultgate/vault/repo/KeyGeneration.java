package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.ObjectKeys;

/**
 * One data-key generation of a vault, as listed (no secret): generation 0 is the data key in {@code config} (id null),
 * each later one the object {@code keys/<id>}. {@code scheme} and {@code keyId} say what wraps it (the master key
 * file's id, or the KMS key's ARN).
 */
public record KeyGeneration(String id, long createdAtMillis, String scheme, String keyId) {

  /** The object that holds the wrapped key: {@code config} for generation 0. */
  public String objectKey() {
    return id == null ? ObjectKeys.CONFIG : ObjectKeys.key(id);
  }

  /** The name shown to people: "0 (config)" or the id. */
  public String label() {
    return id == null ? "0 (config)" : id;
  }
}
