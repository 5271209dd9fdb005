package dev.vaultgate.coordinator.agent;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.awaitOutcome;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.pki.GatewayCertificateAuthority;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.AgentClient.Reply;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.StringWriter;
import java.net.URI;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.backupgateway.model.GatewayType;
import software.amazon.awssdk.services.backupgateway.model.ValidationException;

/**
 * Joining over mutual TLS, AWS's way: the appliance sends its name and certificate request to {@code
 * /activations}, an administrator calls CreateGateway with the key through the real backup-gateway SDK client,
 * the claim answers a certificate signed by the gateway CA, and from then on the gateway is known on the
 * gateway listener by that certificate alone. A reused or unknown key, another CA's certificate, a wrong
 * coordinator CA and a deleted gateway are all refused.
 */
class GatewayJoinTest {

  static TestCoordinator env;
  static int listenerPort;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    synchronized (GatewayJoinTest.class) {
      int known = env.coordinator.gatewayPki().listenerPort();
      listenerPort = known > 0 ? known : await(env.coordinator.startGatewayListener(0));
    }
  }

  /** A gateway's side: its key pair (never sent) and request. */
  record Identity(KeyPair keys, String requestPem) {
    String keyPem() {
      return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
          .encodeToString(keys.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    }
  }

  static Identity identity(String name) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair keys = g.generateKeyPair();
    var csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + name), keys.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(csr);
    }
    return new Identity(keys, out.toString());
  }

  /** What a joined gateway holds. */
  record Joined(String gatewayArn, String certificatePem, String keyPem, String coordinatorCaPem, URI endpoint) {}

  static Joined join(AccessKey account, BackupGatewayClient api, String name) throws Exception {
    Identity id = identity(name);
    AgentClient anon = anonymous();
    Reply activation = anon.postRaw("/activations",
        new JsonObject().put("name", name).put("certificateRequest", id.requestPem()).encode(), null);
    assertEquals(201, activation.status(), activation.body().encode());
    String poll = activation.body().getString("pollToken");
    assertEquals(new JsonObject(), claim(poll).body(), "waiting until an administrator uses the key");
    String arn = api.createGateway(r -> r.activationKey(activation.body().getString("activationKey"))
        .gatewayDisplayName(name).gatewayType(GatewayType.BACKUP_VM)).gatewayArn();
    Reply claimed = claim(poll);
    assertEquals(200, claimed.status(), claimed.body().encode());
    JsonObject c = claimed.body();
    assertEquals(arn, c.getString("gatewayArn"));
    assertNull(c.getString("token"), "a gateway with a certificate gets no bearer token");
    assertEquals(env.coordinator.gatewayPki().ca().certificatePem(), c.getString("caCertificate"));
    assertEquals(URI.create("https://127.0.0.1:" + listenerPort), URI.create(c.getString("gatewayEndpoint")));
    return new Joined(arn, c.getString("certificate"), id.keyPem(), c.getString("coordinatorCaCertificate"),
        URI.create(c.getString("gatewayEndpoint")));
  }

  static AgentClient anonymous() {
    return AgentClient.anonymous(env.endpoint());
  }

  static Reply claim(String poll) {
    return anonymous().postRaw("/activations/claim", new JsonObject().put("pollToken", poll).encode(), null);
  }

  /** A call over mutual TLS: the status and body, or a failed future when the handshake is refused. */
  static Future<Reply> mtls(String certPem, String keyPem, String trustPem, String path, JsonObject body) {
    HttpClientOptions o = new HttpClientOptions().setSsl(true).setVerifyHost(true).setConnectTimeout(5000)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(trustPem)));
    if (certPem != null) {
      o.setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(certPem)).addKeyValue(Buffer.buffer(keyPem)));
    }
    HttpClient http = env.vertx.createHttpClient(o);
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setHost("localhost").setPort(listenerPort)
        .setURI("/agent/v1" + path).setTimeout(10_000).putHeader("Content-Type", "application/json");
    return http.request(ro).compose(req -> req.send(body.toBuffer()))
        .compose(res -> res.body().map(b -> new Reply(res.statusCode(), b.length() == 0 ? new JsonObject() : b.toJsonObject())))
        .eventually(http::close);
  }

  @Test
  void aJoinedGatewayIsKnownByItsCertificateOnTheGatewayListener() throws Exception {
    AccessKey account = env.newAccount();
    BackupGatewayClient api = env.gatewayClient(account);
    Joined g = join(account, api, "site-mtls");
    Reply beat = await(mtls(g.certificatePem(), g.keyPem(), g.coordinatorCaPem(), "/heartbeat", new JsonObject()));
    assertEquals(200, beat.status(), beat.body().encode());
    assertEquals(g.gatewayArn().substring(g.gatewayArn().lastIndexOf('/') + 1), beat.body().getString("gatewayId"));
    Reply lease = await(mtls(g.certificatePem(), g.keyPem(), g.coordinatorCaPem(), "/backup-jobs/lease", new JsonObject()));
    assertEquals(200, lease.status(), "the whole agent API answers there: " + lease.body().encode());
    assertTrue(api.getGateway(r -> r.gatewayArn(g.gatewayArn())).gateway().lastSeenTime() != null);
    Reply noRegistration = await(mtls(g.certificatePem(), g.keyPem(), g.coordinatorCaPem(), "/activations",
        new JsonObject().put("name", "x")));
    assertEquals(404, noRegistration.status(), "no activation or registration on the gateway listener");
  }

  @Test
  void aKeyIsUsedOnceAndItsGatewayClaimedOnce() throws Exception {
    AccessKey account = env.newAccount();
    BackupGatewayClient api = env.gatewayClient(account);
    Identity id = identity("site-once");
    Reply activation = anonymous().postRaw("/activations",
        new JsonObject().put("name", "site-once").put("certificateRequest", id.requestPem()).encode(), null);
    String key = activation.body().getString("activationKey");
    String poll = activation.body().getString("pollToken");
    api.createGateway(r -> r.activationKey(key).gatewayDisplayName("once").gatewayType(GatewayType.BACKUP_VM));
    ValidationException reused = assertThrows(ValidationException.class, () -> api.createGateway(r -> r
        .activationKey(key).gatewayDisplayName("twice").gatewayType(GatewayType.BACKUP_VM)));
    assertTrue(reused.getMessage().contains("used already"), reused.getMessage());
    assertNotNull(claim(poll).body().getString("certificate"));
    Reply again = claim(poll);
    assertEquals(409, again.status());
    assertEquals("AlreadyClaimed", again.error(), "a second claim gets no second certificate");
    assertEquals(1, api.listGateways(r -> { }).gateways().size());
  }

  @Test
  void aBadCertificateRequestIsRefusedBeforeAnyKeyIsMade() throws Exception {
    Reply notPem = anonymous().postRaw("/activations",
        new JsonObject().put("name", "site-x").put("certificateRequest", "hello").encode(), null);
    assertEquals(400, notPem.status());
    assertEquals("InvalidParameterValueException", notPem.error());
    assertTrue(notPem.body().getString("message").contains("PKCS#10"), notPem.body().encode());
    assertNull(notPem.body().getString("activationKey"));
    Reply badName = anonymous().postRaw("/activations", new JsonObject().put("name", "site with spaces")
        .put("certificateRequest", identity("x").requestPem()).encode(), null);
    assertEquals(400, badName.status(), "a certificate's name has no spaces: " + badName.body().encode());
  }

  @Test
  void anotherCasCertificateAndNoCertificateFailTheHandshake() throws Exception {
    AccessKey account = env.newAccount();
    Joined g = join(account, env.gatewayClient(account), "site-real");
    // a certificate for the same name from a CA the coordinator does not trust
    GatewayCertificateAuthority rogue = GatewayCertificateAuthority.create("rogue CA", Clock.systemUTC());
    Identity id = identity("site-real");
    String rogueCert = rogue.sign(id.requestPem(), "site-real", Duration.ofDays(1)).certificatePem();
    assertFalse(awaitOutcome(mtls(rogueCert, id.keyPem(), g.coordinatorCaPem(), "/heartbeat", new JsonObject())),
        "another CA's certificate never reaches a handler");
    assertFalse(awaitOutcome(mtls(null, null, g.coordinatorCaPem(), "/heartbeat", new JsonObject())),
        "no certificate: no handshake");
    // and the gateway refuses a coordinator it does not trust (another CA's certificate as its trust)
    assertFalse(awaitOutcome(mtls(g.certificatePem(), g.keyPem(), rogue.certificatePem(), "/heartbeat", new JsonObject())),
        "a gateway trusting another coordinator CA refuses this listener");
    assertEquals(200, await(mtls(g.certificatePem(), g.keyPem(), g.coordinatorCaPem(), "/heartbeat", new JsonObject())).status());
  }

  @Test
  void deleteGatewayRevokesItsCertificate() throws Exception {
    AccessKey account = env.newAccount();
    BackupGatewayClient api = env.gatewayClient(account);
    Joined g = join(account, api, "site-deleted");
    assertEquals(200, await(mtls(g.certificatePem(), g.keyPem(), g.coordinatorCaPem(), "/heartbeat", new JsonObject())).status());
    api.deleteGateway(r -> r.gatewayArn(g.gatewayArn()));
    // at once, a handler refuses it; within the CRL refresh, the handshake does
    Future<Reply> right = mtls(g.certificatePem(), g.keyPem(), g.coordinatorCaPem(), "/heartbeat", new JsonObject());
    if (awaitOutcome(right)) {
      assertEquals(401, await(right).status(), await(right).body().encode());
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    boolean refused = false;
    while (!refused && System.nanoTime() < deadline) {
      refused = !awaitOutcome(mtls(g.certificatePem(), g.keyPem(), g.coordinatorCaPem(), "/heartbeat", new JsonObject()));
      if (!refused) Thread.sleep(300);
    }
    assertTrue(refused, "the deleted gateway's certificate is on the CRL: its handshake fails");
    var cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificate(new java.io.ByteArrayInputStream(g.certificatePem().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    assertNotNull(env.coordinator.gatewayPki().ca().crl().getRevokedCertificate(cert.getSerialNumber()),
        "the CRL lists the deleted gateway's serial");
  }
}
