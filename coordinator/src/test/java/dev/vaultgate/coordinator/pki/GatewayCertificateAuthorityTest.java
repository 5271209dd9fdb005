package dev.vaultgate.coordinator.pki;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayCertificateAuthorityTest {
  @TempDir
  Path dir;

  private final GatewayCertificateAuthority ca = GatewayCertificateAuthority.create("test gateway CA", Clock.systemUTC());

  static KeyPair ecKeys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** A CSR for {@code subject} carrying {@code carried}'s public key, signed by {@code signer}. */
  static String csr(String subject, KeyPair carried, KeyPair signer) throws Exception {
    String alg = signer.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    var req = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + subject), carried.getPublic())
        .build(new JcaContentSignerBuilder(alg).build(signer.getPrivate()));
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(req);
    }
    return out.toString();
  }

  static X509Certificate parse(String pem) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  static String keyPem(KeyPair k) {
    return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(k.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  /** PKIX validation of {@code cert} against the CA, with its CRL when {@code withCrl}. */
  private void validate(X509Certificate cert, boolean withCrl) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca.certificate(), null)));
    params.setRevocationEnabled(withCrl);
    if (withCrl) {
      params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(List.of(ca.crl()))));
    }
    CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(List.of(cert)), params);
  }

  @Test
  void signsRequestUnderTheNameTheCoordinatorChoseNotTheOneAskedFor() throws Exception {
    KeyPair gw = ecKeys();
    IssuedCertificate issued = ca.sign(csr("admin", gw, gw), "dc1-gw1", Duration.ofDays(397));
    X509Certificate cert = parse(issued.certificatePem());
    assertEquals("dc1-gw1", GatewayCertificateAuthority.commonName(cert));
    assertEquals(gw.getPublic(), cert.getPublicKey());
    assertEquals(issued.serial(), cert.getSerialNumber());
    assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "clientAuth");
    assertEquals(-1, cert.getBasicConstraints(), "not a CA");
    validate(cert, true);
  }

  @Test
  void requestNotSignedByTheKeyItCarriesIsRefused() throws Exception {
    String forged = csr("dc1-gw1", ecKeys(), ecKeys());
    CertificateRequestException e = assertThrows(CertificateRequestException.class, () -> ca.sign(forged, "dc1-gw1", Duration.ofDays(1)));
    assertEquals("the certificate request of gateway dc1-gw1 is not signed by the key it carries: refused", e.getMessage());
  }

  @Test
  void garbageAndWeakKeysAreRefusedInOneLine() throws Exception {
    CertificateRequestException notPem = assertThrows(CertificateRequestException.class, () -> ca.sign("hello", "gw", Duration.ofDays(1)));
    assertTrue(notPem.getMessage().startsWith("the certificate request of gateway gw is not a PEM PKCS#10 request"), notPem.getMessage());
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    KeyPair weak = rsa.generateKeyPair();
    CertificateRequestException e = assertThrows(CertificateRequestException.class, () -> ca.sign(csr("gw", weak, weak), "gw", Duration.ofDays(1)));
    assertEquals("the certificate request of gateway gw has a 1024-bit RSA key: expected EC P-256 or larger, or RSA 2048 bits or more", e.getMessage());
    KeyPair ok = ecKeys();
    assertThrows(CertificateRequestException.class, () -> ca.sign(csr("gw", ok, ok), "bad name", Duration.ofDays(1)));
    assertFalse(notPem.getMessage().contains("\n"));
  }

  @Test
  void revokedSerialIsInTheCrlAndFailsValidationWhileOthersPass() throws Exception {
    KeyPair a = ecKeys();
    KeyPair b = ecKeys();
    IssuedCertificate stolen = ca.sign(csr("a", a, a), "stolen", Duration.ofDays(30));
    IssuedCertificate kept = ca.sign(csr("b", b, b), "kept", Duration.ofDays(30));
    ca.revoke(stolen.serial());
    assertTrue(ca.crl().isRevoked(parse(stolen.certificatePem())));
    CertPathValidatorException e = assertThrows(CertPathValidatorException.class, () -> validate(parse(stolen.certificatePem()), true));
    assertEquals(CertPathValidatorException.BasicReason.REVOKED, e.getReason());
    validate(parse(kept.certificatePem()), true);
  }

  @Test
  void loadsTheGatewayCaMadeByTheCertsScripts() throws Exception {
    Path certs = Path.of("..", "certs").toAbsolutePath().normalize();
    Process p = new ProcessBuilder(certs.resolve("make-dev-ca").toString(), "--dir", dir.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    GatewayCertificateAuthority loaded = GatewayCertificateAuthority.load(Files.readString(dir.resolve("gateway-ca.crt")),
        Files.readString(dir.resolve("gateway-ca.key")), Clock.systemUTC());
    KeyPair gw = ecKeys();
    X509Certificate cert = parse(loaded.sign(csr("x", gw, gw), "site2-gw", Duration.ofDays(1)).certificatePem());
    cert.verify(parse(Files.readString(dir.resolve("gateway-ca.crt"))).getPublicKey());
    IllegalArgumentException notCa = assertThrows(IllegalArgumentException.class, () -> GatewayCertificateAuthority.load(
        Files.readString(dir.resolve("coordinator.crt")), Files.readString(dir.resolve("coordinator.key")), Clock.systemUTC()));
    assertTrue(notCa.getMessage().endsWith("is not a CA certificate"), notCa.getMessage());
  }

  /** The listener options on loopback: the issued gateway is served; a revoked one, another CA's, or none fail in the handshake. */
  @Test
  void gatewayListenerRequiresACurrentCertificateOfTheGatewayCa() throws Exception {
    GatewayCertificateAuthority serverCa = GatewayCertificateAuthority.create("server CA", Clock.systemUTC());
    KeyPair serverKeys = ecKeys();
    String serverCert = serverCa.sign(csr("localhost", serverKeys, serverKeys), "localhost", Duration.ofDays(1)).certificatePem();
    KeyPair good = ecKeys();
    KeyPair bad = ecKeys();
    IssuedCertificate goodCert = ca.sign(csr("g", good, good), "good", Duration.ofDays(1));
    IssuedCertificate badCert = ca.sign(csr("b", bad, bad), "revoked", Duration.ofDays(1));
    ca.revoke(badCert.serial());
    GatewayCertificateAuthority stranger = GatewayCertificateAuthority.create("another CA", Clock.systemUTC());
    KeyPair other = ecKeys();
    IssuedCertificate otherCert = stranger.sign(csr("o", other, other), "good", Duration.ofDays(1));

    Vertx vertx = Vertx.vertx();
    try {
      HttpServer server = get(vertx.createHttpServer(GatewayListenerTls.serverOptions(serverCert, keyPem(serverKeys), ca).setHost("127.0.0.1"))
          .requestHandler(req -> {
            try {
              req.response().end(GatewayCertificateAuthority.commonName((X509Certificate) req.connection().sslSession().getPeerCertificates()[0]));
            } catch (Exception e) {
              req.response().setStatusCode(500).end();
            }
          }).listen(0));
      int port = server.actualPort();
      assertEquals("good", call(vertx, port, serverCa, goodCert.certificatePem(), keyPem(good)));
      assertThrows(ExecutionException.class, () -> call(vertx, port, serverCa, badCert.certificatePem(), keyPem(bad)));
      assertThrows(ExecutionException.class, () -> call(vertx, port, serverCa, otherCert.certificatePem(), keyPem(other)));
      assertThrows(ExecutionException.class, () -> call(vertx, port, serverCa, null, null));

      // Revoked while the listener runs: once reloaded, the next handshake of that gateway is refused.
      ca.revoke(goodCert.serial());
      assertTrue(get(GatewayListenerTls.reload(server, serverCert, keyPem(serverKeys), ca)));
      assertThrows(ExecutionException.class, () -> call(vertx, port, serverCa, goodCert.certificatePem(), keyPem(good)));
    } finally {
      get(vertx.close());
    }
  }

  private static String call(Vertx vertx, int port, GatewayCertificateAuthority serverCa, String certPem, String keyPem) throws Exception {
    HttpClientOptions o = new HttpClientOptions().setSsl(true).setVerifyHost(false)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(serverCa.certificatePem())));
    if (certPem != null) {
      o.setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(certPem)).addKeyValue(Buffer.buffer(keyPem)));
    }
    HttpClient client = vertx.createHttpClient(o);
    try {
      return get(client.request(HttpMethod.GET, port, "127.0.0.1", "/agent/v1/heartbeat")
          .compose(r -> r.send().compose(HttpClientResponse::body)).map(Buffer::toString));
    } finally {
      client.close();
    }
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
