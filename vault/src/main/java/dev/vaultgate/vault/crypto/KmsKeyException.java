package dev.vaultgate.vault.crypto;

/** A KMS refused or could not do a wrap or unwrap (key disabled, pending deletion, unknown, KMS unreachable). */
public class KmsKeyException extends RuntimeException {
  public KmsKeyException(String message) {
    super(message);
  }
}
