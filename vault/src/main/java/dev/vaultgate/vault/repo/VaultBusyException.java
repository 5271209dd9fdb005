package dev.vaultgate.vault.repo;

/** Another process holds the vault's {@link VaultLock} in a way that conflicts (a backup against gc, or gc against both). */
public class VaultBusyException extends VaultException {
  public VaultBusyException(String message) {
    super(message);
  }
}
