package dev.vaultgate.coordinator;

import dev.vaultgate.coordinator.agent.AgentApi;
import dev.vaultgate.coordinator.agent.GatewayStore;
import dev.vaultgate.coordinator.pki.GatewayListenerTls;
import dev.vaultgate.coordinator.pki.GatewayPki;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway listener: the agent API on a port of its own over mutual TLS (client certificate required,
 * the gateway CA only, its CRL), where a gateway is the one its certificate names. The CRL lists the
 * certificates of deleted gateways (DeleteGateway records them); the listener reloads it every few seconds
 * when that list grew, so a deleted gateway's next handshake fails without a restart.
 */
final class GatewayListenerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayListenerVerticle.class);
  static final Duration CRL_REFRESH = Duration.ofSeconds(3);

  private final String host;
  private final int port;
  private final GatewayPki pki;
  private final GatewayStore gateways;
  private final java.util.function.Supplier<AgentApi> api;
  private HttpServer server;
  private long timer = -1;

  GatewayListenerVerticle(String host, int port, GatewayPki pki, GatewayStore gateways,
      java.util.function.Supplier<AgentApi> api) {
    this.host = host;
    this.port = port;
    this.pki = pki;
    this.gateways = gateways;
    this.api = api;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    api.get().withPki(pki).mountForCertificates(router);
    return gateways.revokedCertificateSerials()
        .compose(serials -> vertx.executeBlocking(() -> {
          pki.revokeAll(serials);
          return GatewayListenerTls.serverOptions(pki.serverCertificatePem(), pki.serverKeyPem(), pki.ca())
              .setHost(host).setPort(port);
        }, false))
        .compose(options -> {
          server = vertx.createHttpServer(options);
          return server.requestHandler(router).listen();
        })
        .onSuccess(s -> {
          pki.listenerPort(s.actualPort());
          timer = vertx.setPeriodic(CRL_REFRESH.toMillis(), t -> refreshCrl());
          LOG.info("gateway listener (mutual TLS) on https://{}:{}", host, s.actualPort());
        });
  }

  /** Reloads the CRL when gateways were deleted since the last look; a failure is retried at the next tick. */
  Future<Boolean> refreshCrl() {
    return gateways.revokedCertificateSerials()
        .compose(serials -> vertx.executeBlocking(() -> pki.revokeAll(serials)
            ? GatewayListenerTls.sslOptions(pki.serverCertificatePem(), pki.serverKeyPem(), pki.ca()) : null, false))
        .compose(options -> options == null ? Future.succeededFuture(false) : server.updateSSLOptions(options, true))
        .onFailure(e -> LOG.warn("gateway listener: cannot reload the CRL: {}", e.toString()));
  }

  @Override
  public Future<?> stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
    return server == null ? Future.succeededFuture() : server.close();
  }

  int actualPort() {
    return server.actualPort();
  }
}
