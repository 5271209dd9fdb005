package dev.vaultgate.vault.storage;

/** The object does not exist. Never retryable. */
public class ObjectNotFoundException extends VaultStorageException {
  private final String key;

  public ObjectNotFoundException(String key, String where) {
    super("no object " + key + " in " + where, false);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
