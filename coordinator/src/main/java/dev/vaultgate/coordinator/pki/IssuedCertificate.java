package dev.vaultgate.coordinator.pki;

import java.math.BigInteger;
import java.time.Instant;

/** A gateway certificate the CA signed: what the claim answers (PEM) and what the coordinator stores to revoke it later. */
public record IssuedCertificate(String gatewayName, BigInteger serial, Instant notAfter, String certificatePem) {
  /** The serial as openssl and the CRL print it. */
  public String serialHex() {
    return serial.toString(16).toUpperCase(java.util.Locale.ROOT);
  }
}
