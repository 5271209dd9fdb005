package dev.vaultgate.vault.format;

/** A vault object's bytes are damaged or truncated: it fails authentication or cannot be decoded. */
public class CorruptObjectException extends RuntimeException {
  public CorruptObjectException(String message) {
    super(message);
  }
}
