package dev.vaultgate.coordinator.pki;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;

/**
 * The TLS of the coordinator's gateway listener: its server certificate, a client certificate REQUIRED, trust in
 * the gateway CA only, and the CA's CRL, so an unknown or revoked gateway fails in the handshake and never
 * reaches a handler. After a revocation, {@link #reload} gives the running listener the new CRL: new
 * handshakes are checked against it at once, with no restart.
 */
public final class GatewayListenerTls {
  private GatewayListenerTls() {
  }

  public static HttpServerOptions serverOptions(String serverCertificatePem, String serverKeyPem, GatewayCertificateAuthority ca) {
    ServerSSLOptions ssl = sslOptions(serverCertificatePem, serverKeyPem, ca);
    HttpServerOptions options = new HttpServerOptions().setSsl(true).setKeyCertOptions(ssl.getKeyCertOptions())
        .setTrustOptions(ssl.getTrustOptions()).setClientAuth(ssl.getClientAuth());
    ssl.getCrlValues().forEach(options::addCrlValue);
    return options;
  }

  public static ServerSSLOptions sslOptions(String serverCertificatePem, String serverKeyPem, GatewayCertificateAuthority ca) {
    return new ServerSSLOptions()
        .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(serverCertificatePem)).addKeyValue(Buffer.buffer(serverKeyPem)))
        .setClientAuth(ClientAuth.REQUIRED)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(ca.certificatePem())))
        .addCrlValue(Buffer.buffer(ca.crlPem()));
  }

  /** Gives a running listener the CA's current CRL (call after {@link GatewayCertificateAuthority#revoke}). */
  public static Future<Boolean> reload(HttpServer listener, String serverCertificatePem, String serverKeyPem, GatewayCertificateAuthority ca) {
    return listener.updateSSLOptions(sslOptions(serverCertificatePem, serverKeyPem, ca), true);
  }
}
