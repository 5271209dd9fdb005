package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.repo.VaultException;

/** The disk being backed up cannot be read, or changed size while it was read. */
public class SourceException extends VaultException {
  public SourceException(String message) {
    super(message);
  }
}
