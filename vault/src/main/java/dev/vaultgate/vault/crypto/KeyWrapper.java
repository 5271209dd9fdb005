package dev.vaultgate.vault.crypto;

/**
 * Wraps and unwraps the vault's key material with a key-encryption key that never enters the vault:
 * a local master key file today, AWS KMS later. Calls may block (a KMS call does): run them on a worker.
 */
public interface KeyWrapper {

  /** The scheme recorded in the vault config, e.g. {@code local}. */
  String scheme();

  /** A non-secret identifier of the wrapping key, recorded beside the wrapped key so the wrong key is named. */
  String keyId();

  byte[] wrap(byte[] keyMaterial);

  /** @throws WrongMasterKeyException when this wrapper's key did not wrap {@code wrapped} */
  byte[] unwrap(byte[] wrapped);

  /** New key material and its wrapped form. */
  record Generated(byte[] material, byte[] wrapped) {
  }

  /**
   * Makes {@code bytes} of new key material and wraps it. A KMS does both in one GenerateDataKey call (its own random
   * source, one request); the default draws from the JDK's SecureRandom and calls {@link #wrap}.
   */
  default Generated generate(int bytes) {
    byte[] material = Secrets.randomBytes(bytes);
    return new Generated(material, wrap(material));
  }
}
