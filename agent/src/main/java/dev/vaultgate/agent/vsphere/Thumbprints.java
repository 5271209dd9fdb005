package dev.vaultgate.agent.vsphere;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

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

  /**
   * The SHA-256 thumbprint of the certificate a TLS server presents, read without trusting it: how a gateway
   * learns a vCenter's certificate on its first connection (it then pins it, and trusts nothing else). Blocks.
   */
  public static String presentedBy(String host, int port, Duration timeout) throws IOException {
    X509Certificate[] seen = new X509Certificate[1];
    X509TrustManager capture = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
        throw new UnsupportedOperationException("client certificates are not checked here");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
        seen[0] = chain[0]; // recorded, not trusted: nothing is sent over this connection
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {capture}, null);
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
        raw.setSoTimeout((int) timeout.toMillis());
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(raw, host, port, false)) {
          socket.startHandshake();
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the certificate of " + host + ":" + port + ": " + e.getMessage(), e);
    }
    if (seen[0] == null) {
      throw new IOException(host + ":" + port + " presented no certificate");
    }
    return of(seen[0]);
  }
}
