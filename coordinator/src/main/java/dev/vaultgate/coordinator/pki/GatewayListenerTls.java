package dev.vaultgate.coordinator.pki;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * The TLS of the coordinator's gateway listener: its server certificate, a client certificate REQUIRED, trust in
 * the gateway CA only, and the CA's CRL, so an unknown or revoked gateway fails in the handshake and never
 * reaches a handler.
 */
public final class GatewayListenerTls {
  private GatewayListenerTls() {
  }

  public static HttpServerOptions serverOptions(String serverCertificatePem, String serverKeyPem, GatewayCertificateAuthority ca) {
    return new HttpServerOptions()
        .setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(serverCertificatePem)).addKeyValue(Buffer.buffer(serverKeyPem)))
        .setClientAuth(ClientAuth.REQUIRED)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(ca.certificatePem())))
        .addCrlValue(Buffer.buffer(ca.crlPem()));
  }
}
