package dev.vaultgate.vault.storage;

/**
 * The storage refused to delete, overwrite or shorten the retention of an object because S3 Object Lock
 * protects it (a retention not yet passed, or a legal hold). Never retryable before the retention ends.
 */
public class ObjectLockedException extends VaultStorageException {
  public ObjectLockedException(String message, Throwable cause) {
    super(message, false, cause);
  }
}
