package dev.vaultgate.vault.crypto;

/** Ciphertext failed authentication or a chunk's content does not match its id: the stored bytes were changed. */
public class TamperedDataException extends RuntimeException {
  public TamperedDataException(String message) {
    super(message);
  }
}
