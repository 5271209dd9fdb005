package dev.vaultgate.vault.storage;

/**
 * A read of an object whose storage class keeps it offline (S3 answers 403 InvalidObjectState) and that no restore
 * has made readable: no retry helps until a restore ({@link VaultStorage#requestRestore}) has finished.
 */
public class ArchivedObjectException extends VaultStorageException {
  public ArchivedObjectException(String message, Throwable cause) {
    super(message, false, cause);
  }
}
