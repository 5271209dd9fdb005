package dev.vaultgate.vault.storage;

/**
 * The storage itself cannot be used: the bucket or directory is missing, or credentials are refused.
 * Never retryable: an operator must act.
 */
public class StorageUnavailableException extends VaultStorageException {
  public StorageUnavailableException(String message, Throwable cause) {
    super(message, false, cause);
  }
}
