package dev.vaultgate.agent.vsphere;

import java.net.Socket;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts exactly one server certificate, the one whose SHA-256 thumbprint is pinned, as vSphere clients
 * do with a vCenter's self-signed certificate. The pin replaces CA and host name checks (an extended trust
 * manager, so the JDK adds none of its own): a vCenter reached by IP address works, a replaced certificate
 * does not.
 */
public final class PinnedThumbprintTrustManager extends X509ExtendedTrustManager {

  /** The certificate presented is not the pinned one; the message names the host and both thumbprints. */
  public static final class ThumbprintMismatchException extends CertificateException {
    private final String presented;
    private final String pinned;

    ThumbprintMismatchException(String host, String presented, String pinned) {
      super("vCenter " + host + " presented a certificate with SHA-256 thumbprint " + presented
          + ", but the pinned thumbprint is " + pinned
          + " (if the certificate was replaced on purpose, update the pinned thumbprint)");
      this.presented = presented;
      this.pinned = pinned;
    }

    public String presented() {
      return presented;
    }

    public String pinned() {
      return pinned;
    }
  }

  private final String host;
  private final String pinned;

  /**
   * @param host       host:port, for messages
   * @param thumbprint SHA-256, hex with or without colons
   */
  public PinnedThumbprintTrustManager(String host, String thumbprint) {
    this.host = host;
    this.pinned = Thumbprints.normalize(thumbprint);
  }

  /** A TLS context that trusts only the pinned certificate. */
  public SSLContext sslContext() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {this}, null);
      return ctx;
    } catch (NoSuchAlgorithmException | KeyManagementException e) {
      throw new IllegalStateException("cannot make a TLS context", e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("vCenter " + host + " presented no certificate");
    }
    String presented = Thumbprints.of(chain[0]);
    if (!presented.equals(pinned)) {
      throw new ThumbprintMismatchException(host, presented, pinned);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("this trust manager checks only vCenter servers");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
