package dev.vaultgate.appliance;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.tls.MutualTls;
import dev.vaultgate.appliance.tls.Pki;
import dev.vaultgate.vault.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vaultgate register} against a loopback claim endpoint. The coordinator's real claim endpoint is being
 * written on another branch, so a small stand-in plays it here: HTTPS with the dev CA's coordinator certificate,
 * single-use activation keys, and the CSR signed by certs/sign-gateway (openssl). The certificate the gateway
 * stores is then used for mutual TLS with a listener that trusts only the gateway CA.
 */
class RegistrationTest {
  @TempDir
  Path dir;
  Vertx vertx;
  Pki pki;
  HttpServer claim;
  final Set<String> unusedKeys = new HashSet<>(Set.of("KEY-1", "KEY-2"));
  volatile boolean answerWithAStrangersCertificate;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    pki = Pki.makeDevCa(dir.resolve("pki"));
    claim = await(() -> vertx.createHttpServer(coordinatorTls()).requestHandler(req -> req.body().onSuccess(b -> {
      JsonObject body = b.toJsonObject();
      boolean fresh;
      synchronized (unusedKeys) {
        fresh = unusedKeys.remove(body.getString("activationKey"));
      }
      if (!req.path().equals(Registration.CLAIM_PATH) || !fresh) {
        req.response().setStatusCode(400).end(new JsonObject().put("error", "InvalidActivationKey")
            .put("message", "activation key is unknown, expired or used").encode());
        return;
      }
      vertx.executeBlocking(() -> {
        Path csr = Files.writeString(dir.resolve("claim.csr"), answerWithAStrangersCertificate
            ? dev.vaultgate.appliance.tls.GatewayIdentity.generate("stranger").certificateRequestPem() : body.getString("certificateRequest"));
        Path crt = dir.resolve("claim-" + System.nanoTime() + ".crt");
        Pki.run("sign-gateway", "--dir", pki.dir.toString(), csr.toString(), crt.toString());
        return Files.readString(crt);
      }).onSuccess(cert -> req.response().end(new JsonObject().put("gatewayId", "gw-0001").put("certificate", cert)
          .put("caCertificate", "").encode()));
    })).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void tearDown() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  <T> T await(java.util.function.Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(60));
  }

  private HttpServerOptions coordinatorTls() {
    return new HttpServerOptions().setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath(pki.dir.resolve("coordinator.crt").toString()).setKeyPath(pki.dir.resolve("coordinator.key").toString()));
  }

  private ApplianceConfig config(Path coordinatorCa) {
    Path tls = dir.resolve("data/tls");
    return new ApplianceConfig("dc1-gw1", URI.create("https://localhost:" + claim.actualPort()), dir.resolve("data"),
        new ApplianceConfig.Vault("file:///tmp/none", dir.resolve("master.key")), Optional.empty(),
        new ApplianceConfig.Tls(tls.resolve("gateway.crt"), tls.resolve("gateway.key"), coordinatorCa),
        new ApplianceConfig.WebUi("127.0.0.1", 9443, "unused"), 1, List.of(), ApplianceConfig.Bandwidth.UNLIMITED);
  }

  private URI coordinator() {
    return URI.create("https://localhost:" + claim.actualPort());
  }

  @Test
  void registeredGatewayTalksMutualTlsWithItsNewCertificate() throws Exception {
    ApplianceConfig c = config(pki.dir.resolve("coordinator-ca.crt"));
    Registration.Registered r = await(() -> Registration.register(vertx, c, coordinator(), "KEY-1"));
    assertEquals("gw-0001", r.gatewayId());
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(c.tls().privateKeyFile())));

    HttpServer listener = await(() -> vertx.createHttpServer(coordinatorTls().setClientAuth(ClientAuth.REQUIRED)
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.dir.resolve("gateway-ca.crt").toString())))
        .requestHandler(req -> {
          try {
            req.response().end(((java.security.cert.X509Certificate) req.connection().sslSession().getPeerCertificates()[0])
                .getSubjectX500Principal().getName());
          } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            req.response().setStatusCode(401).end();
          }
        }).listen(0, "127.0.0.1"));
    HttpClient client = vertx.createHttpClient(MutualTls.coordinatorClient(c.tls()));
    String who = await(() -> client.request(HttpMethod.GET, listener.actualPort(), "localhost", "/agent/v1/heartbeat")
        .compose(req -> req.send().compose(HttpClientResponse::body)).map(Object::toString));
    assertTrue(who.contains("CN=dc1-gw1"), who);
  }

  @Test
  void reusedActivationKeyIsRefusedAndNothingIsWritten() {
    ApplianceConfig first = config(pki.dir.resolve("coordinator-ca.crt"));
    await(() -> Registration.register(vertx, first, coordinator(), "KEY-2"));
    Path otherData = dir.resolve("other");
    ApplianceConfig second = new ApplianceConfig("dc1-gw2", first.coordinatorUrl(), otherData, first.vault(), Optional.empty(),
        new ApplianceConfig.Tls(otherData.resolve("gw.crt"), otherData.resolve("gw.key"), first.tls().coordinatorCaFile()),
        first.webUi(), 1, List.of(), first.bandwidth());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> await(() -> Registration.register(vertx, second, coordinator(), "KEY-2")));
    assertEquals("coordinator " + coordinator() + " refused the activation (400 InvalidActivationKey): activation key is unknown, expired or used",
        e.getMessage());
    assertFalse(Files.exists(otherData.resolve("gw.crt")) || Files.exists(otherData.resolve("gw.key")));
  }

  @Test
  void coordinatorWithACertificateFromAnotherCaIsNotTrusted() {
    Pki other = Pki.makeDevCa(dir.resolve("other-pki"));
    ApplianceConfig c = config(other.dir.resolve("coordinator-ca.crt"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> await(() -> Registration.register(vertx, c, coordinator(), "KEY-1")));
    assertTrue(e.getMessage().startsWith("cannot reach coordinator " + coordinator() + " to register: "), e.getMessage());
    assertFalse(Files.exists(c.tls().privateKeyFile()));
    assertTrue(unusedKeys.contains("KEY-1"), "the key was never sent to an untrusted server");
  }

  @Test
  void certificateForAnotherKeyIsRefusedAndAlreadyRegisteredGatewayIsNotReplaced() throws Exception {
    ApplianceConfig c = config(pki.dir.resolve("coordinator-ca.crt"));
    answerWithAStrangersCertificate = true;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> await(() -> Registration.register(vertx, c, coordinator(), "KEY-1")));
    assertTrue(e.getMessage().startsWith("the certificate issued to gateway dc1-gw1 is for another key"), e.getMessage());
    assertFalse(Files.exists(c.tls().certificateFile()) || Files.exists(c.tls().privateKeyFile()));

    answerWithAStrangersCertificate = false;
    await(() -> Registration.register(vertx, c, coordinator(), "KEY-2"));
    String cert = Files.readString(c.tls().certificateFile());
    IllegalStateException again = assertThrows(IllegalStateException.class, () -> await(() -> Registration.register(vertx, c, coordinator(), "KEY-1")));
    assertTrue(again.getMessage().startsWith("gateway dc1-gw1 is registered already"), again.getMessage());
    assertEquals(cert, Files.readString(c.tls().certificateFile()));
  }
}
