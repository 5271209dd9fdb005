package dev.vaultgate.vault.crypto;

/** The master key at hand did not wrap the vault's keys: the vault cannot be opened with it. */
public class WrongMasterKeyException extends RuntimeException {
  public WrongMasterKeyException(String message) {
    super(message);
  }
}
