package dev.vaultgate.vault.repo;

/** A vault-level failure that names the vault, the object and the operation; nothing to retry. */
public class VaultException extends RuntimeException {
  public VaultException(String message) {
    super(message);
  }

  public VaultException(String message, Throwable cause) {
    super(message, cause);
  }
}
