package dev.vaultgate.agent.vsphere;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/** SHA-256 certificate thumbprints in vSphere's notation, AB:CD:... */
public final class Thumbprints {
  private static final HexFormat COLONS = HexFormat.ofDelimiter(":").withUpperCase();

  private Thumbprints() {
  }

  /** AB:CD:... from hex with or without colons, any case; fails on anything but 32 bytes of hex. */
  public static String normalize(String thumbprint) {
    if (thumbprint == null) {
      throw new IllegalArgumentException("vCenter certificate thumbprint (SHA-256) is missing");
    }
    String hex = thumbprint.strip().replace(":", "").toLowerCase(Locale.ROOT);
    if (!hex.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("vCenter certificate thumbprint must be a SHA-256 in hex (64 digits, colons allowed), got '"
          + thumbprint + "'");
    }
    return COLONS.formatHex(HexFormat.of().parseHex(hex));
  }

  /** The SHA-256 thumbprint of a certificate, AB:CD:... */
  public static String of(X509Certificate certificate) {
    try {
      return COLONS.formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot compute a certificate thumbprint", e);
    }
  }
}
