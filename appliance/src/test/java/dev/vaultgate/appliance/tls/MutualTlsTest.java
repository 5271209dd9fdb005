package dev.vaultgate.appliance.tls;

import dev.vaultgate.appliance.config.ApplianceConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutual TLS on loopback with certificates made by certs/ (openssl) and a CSR made by {@link GatewayIdentity}:
 * the server plays the coordinator's gateway listener (client certificate REQUIRED, trust = gateway CA, the
 * CA's CRL loaded) and answers with the CN of the certificate the gateway presented.
 */
class MutualTlsTest {
  @TempDir
  Path dir;
  Vertx vertx;
  Pki pki;
  HttpServer server;
  final java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    pki = Pki.makeDevCa(dir.resolve("pki"));
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  private int startCoordinatorListener() throws Exception {
    if (server != null) {
      get(server.close());
    }
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(pki.dir.resolve("coordinator.crt").toString())
            .setKeyPath(pki.dir.resolve("coordinator.key").toString()))
        .setClientAuth(ClientAuth.REQUIRED)
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.dir.resolve("gateway-ca.crt").toString()))
        .addCrlPath(pki.dir.resolve("gateway-ca.crl").toString());
    server = get(vertx.createHttpServer(options).requestHandler(req -> {
      try {
        String who = ((java.security.cert.X509Certificate) req.connection().sslSession().getPeerCertificates()[0])
            .getSubjectX500Principal().getName();
        served.incrementAndGet();
        req.response().end(who);
      } catch (SSLPeerUnverifiedException e) {
        req.response().setStatusCode(401).end();
      }
    }).listen());
    return server.actualPort();
  }

  private String call(int port, ApplianceConfig.Tls tls) throws Exception {
    HttpClient client = vertx.createHttpClient(MutualTls.coordinatorClient(tls));
    try {
      return get(client.request(HttpMethod.GET, port, "localhost", "/agent/v1/ping")
          .compose(req -> req.send().compose(HttpClientResponse::body)).map(Object::toString));
    } finally {
      client.close();
    }
  }

  /** The call fails in the TLS handshake, and the listener served nothing. */
  private void assertRefused(int port, ApplianceConfig.Tls tls) {
    int before = served.get();
    ExecutionException e = assertThrows(ExecutionException.class, () -> call(port, tls));
    Throwable c = e.getCause();
    while (c.getCause() != null && !(c instanceof javax.net.ssl.SSLException)) {
      c = c.getCause();
    }
    assertTrue(c instanceof javax.net.ssl.SSLException, "a TLS failure, not " + e.getCause());
    assertEquals(before, served.get());
  }

  private ApplianceConfig.Tls gatewayTls(Path[] certAndKey, Path trust) {
    return new ApplianceConfig.Tls(certAndKey[0], certAndKey[1], trust);
  }

  @Test
  void gatewayWithCertificateFromGatewayCaIsServed() throws Exception {
    int port = startCoordinatorListener();
    Path[] gw = pki.issueGateway("dc1-gw1", dir);
    String who = call(port, gatewayTls(gw, pki.dir.resolve("coordinator-ca.crt")));
    assertTrue(who.contains("CN=dc1-gw1"), who);
  }

  @Test
  void certificateFromAnotherCaIsRefused() throws Exception {
    int port = startCoordinatorListener();
    Pki other = Pki.makeDevCa(dir.resolve("other"));
    Path[] stranger = other.issueGateway("intruder", dir);
    assertRefused(port, gatewayTls(stranger, pki.dir.resolve("coordinator-ca.crt")));
  }

  @Test
  void revokedCertificateIsRefusedWhileOthersStillConnect() throws Exception {
    Path[] revoked = pki.issueGateway("stolen", dir);
    Path[] kept = pki.issueGateway("kept", dir);
    pki.revoke(revoked[0]);
    int port = startCoordinatorListener(); // loads the new CRL
    assertRefused(port, gatewayTls(revoked, pki.dir.resolve("coordinator-ca.crt")));
    assertTrue(call(port, gatewayTls(kept, pki.dir.resolve("coordinator-ca.crt"))).contains("CN=kept"));
  }

  @Test
  void coordinatorWithCertificateFromAnUntrustedCaIsRefusedByTheGateway() throws Exception {
    int port = startCoordinatorListener();
    Path[] gw = pki.issueGateway("dc1-gw1", dir);
    Pki other = Pki.makeDevCa(dir.resolve("other"));
    assertRefused(port, gatewayTls(gw, other.dir.resolve("coordinator-ca.crt")));
  }

  @Test
  void missingCertificateFileIsOneLineNamingIt() {
    Path absent = dir.resolve("none.crt");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MutualTls.coordinatorClient(new ApplianceConfig.Tls(absent, absent, absent)));
    assertEquals("cannot read the gateway certificate " + absent + ": no such file (run 'vaultgate register' to join a coordinator)",
        e.getMessage());
  }

  @Test
  void certificateForAnotherKeyIsNotAccepted() throws Exception {
    Path[] gw = pki.issueGateway("a", dir);
    GatewayIdentity other = GatewayIdentity.generate("a");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.acceptCertificate(Files.readString(gw[0])));
    assertTrue(e.getMessage().startsWith("the certificate issued to gateway a is for another key"), e.getMessage());
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(gw[1])));
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
