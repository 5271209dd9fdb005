package dev.vaultgate.coordinator.pki;

/** A gateway's certificate request that cannot be signed; the message is one line (an API answers it as 400). */
public final class CertificateRequestException extends RuntimeException {
  public CertificateRequestException(String message) {
    super(message);
  }
}
