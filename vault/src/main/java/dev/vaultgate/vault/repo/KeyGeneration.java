package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.ObjectKeys;

/**
 * One data-key generation of a vault, as listed (no secret): generation 0 is the data key in {@code config} (id null),
 * each later one the object {@code keys/<id>}. {@code scheme} and {@code keyId} say what wraps it (the master key
 * file's id, or the KMS key's ARN). {@code kmsRotationMillis}: for a generation made because its KMS key rotated,
 * the RotationDate of that rotation (the KMS's clock, so that the next comparison with the KMS's rotations does not
 * depend on the gateway's clock); null otherwise.
 */
public record KeyGeneration(String id, long createdAtMillis, String scheme, String keyId, Long kmsRotationMillis) {

  public KeyGeneration(String id, long createdAtMillis, String scheme, String keyId) {
    this(id, createdAtMillis, scheme, keyId, null);
  }

  /**
   * Whether the KMS key rotated after this generation was made, given its latest rotation (null: never rotated): "new
   * points use the new key" then needs a new generation. Compared with the rotation this generation followed when it
   * records one; else with its creation time, to the second (KMS dates are whole seconds), so that a rotation in the
   * same second counts: an extra generation costs one small object, a missed rotation breaks the promise.
   */
  public boolean predatesKmsRotation(java.time.Instant latestRotation) {
    if (latestRotation == null) {
      return false;
    }
    if (kmsRotationMillis != null) {
      return latestRotation.toEpochMilli() > kmsRotationMillis;
    }
    return latestRotation.getEpochSecond() >= Math.floorDiv(createdAtMillis, 1000);
  }

  /** The object that holds the wrapped key: {@code config} for generation 0. */
  public String objectKey() {
    return id == null ? ObjectKeys.CONFIG : ObjectKeys.key(id);
  }

  /** The name shown to people: "0 (config)" or the id. */
  public String label() {
    return id == null ? "0 (config)" : id;
  }
}
