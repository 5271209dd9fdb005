package dev.vaultgate.vault.storage;

/**
 * A storage operation failed. The message names the object and the operation
 * ("cannot read packs/3f/3f9c... from s3://prod/vault: connection reset");
 * {@link #isRetryable()} says whether trying again can help.
 */
public class VaultStorageException extends RuntimeException {
  private final boolean retryable;

  public VaultStorageException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public VaultStorageException(String message, boolean retryable) {
    this(message, retryable, null);
  }

  public boolean isRetryable() {
    return retryable;
  }
}
