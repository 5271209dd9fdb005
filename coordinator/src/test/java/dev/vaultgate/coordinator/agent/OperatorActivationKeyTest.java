package dev.vaultgate.coordinator.agent;

import static dev.vaultgate.coordinator.agent.GatewayJoinTest.anonymous;
import static dev.vaultgate.coordinator.agent.GatewayJoinTest.identity;
import static dev.vaultgate.coordinator.agent.GatewayJoinTest.mtls;
import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.CoordinatorMain;
import dev.vaultgate.coordinator.agent.GatewayJoinTest.Identity;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.gateway.PgActivationKeyStore;
import dev.vaultgate.coordinator.pki.IssuedCertificate;
import dev.vaultgate.coordinator.testing.AgentClient.Reply;
import dev.vaultgate.coordinator.testing.SignedHttp;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;

/**
 * The issue's way of joining: an operator issues an activation key for an account (the signed agent call {@code
 * /activation-keys}, or {@code scripts/coordinator gateways activation-key}), and a gateway joins with it, its name
 * and its certificate request in one call to {@code /join}. Keys are single-use and expire; unknown, used, expired
 * and malformed keys, a key for another name and a bad request are each refused with one line, and a refused
 * request spends nothing. A certificate of the gateway CA that no gateway holds is refused too.
 */
class OperatorActivationKeyTest {

  static TestCoordinator env;

  @BeforeAll
  static void start() {
    GatewayJoinTest.start();
    env = GatewayJoinTest.env;
  }

  static Reply issue(AccessKey account, JsonObject body) {
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), account, "POST", "/agent/v1/activation-keys", body.encode());
    return new Reply(r.status(), r.json());
  }

  static Reply join(String key, String name, String requestPem) {
    return anonymous().postRaw("/join", new JsonObject().put("activationKey", key).put("name", name)
        .put("certificateRequest", requestPem).encode(), null);
  }

  @Test
  void anOperatorsKeyJoinsAGatewayAtOnceKnownByItsCertificateUntilItIsDeleted() throws Exception {
    AccessKey account = env.newAccount();
    Reply issued = issue(account, new JsonObject().put("name", "site-op").put("expiresInSeconds", 600));
    assertEquals(201, issued.status(), issued.body().encode());
    String key = issued.body().getString("activationKey");
    assertTrue(PgActivationKeyStore.wellFormed(key), key);
    assertEquals(account.accountId(), issued.body().getString("accountId"));
    Instant expires = Instant.parse(issued.body().getString("expiresAt"));
    assertTrue(expires.isAfter(Instant.now().plusSeconds(590)) && expires.isBefore(Instant.now().plusSeconds(610)), expires.toString());

    Identity id = identity("site-op");
    Reply joined = join(key.toLowerCase(), "site-op", id.requestPem()); // typed by hand: case does not matter
    assertEquals(201, joined.status(), joined.body().encode());
    JsonObject j = joined.body();
    assertNull(j.getString("token"), "known by its certificate, no token");
    assertTrue(j.getString("gatewayArn").startsWith("arn:aws:backup-gateway:us-east-1:" + account.accountId() + ":gateway/sgw-"));
    Reply beat = await(mtls(j.getString("certificate"), id.keyPem(), j.getString("coordinatorCaCertificate"), "/heartbeat",
        new JsonObject()));
    assertEquals(200, beat.status(), beat.body().encode());
    assertEquals(j.getString("gatewayId"), beat.body().getString("gatewayId"));

    BackupGatewayClient api = env.gatewayClient(account);
    var listed = api.listGateways(r -> { }).gateways();
    assertEquals(1, listed.size());
    assertEquals("site-op", listed.get(0).gatewayDisplayName());

    api.deleteGateway(r -> r.gatewayArn(j.getString("gatewayArn")));
    var after = mtls(j.getString("certificate"), id.keyPem(), j.getString("coordinatorCaCertificate"), "/heartbeat", new JsonObject());
    if (TestCoordinator.awaitOutcome(after)) {
      assertEquals(401, await(after).status(), "a deleted gateway's certificate is refused: " + await(after).body().encode());
    } // else: the CRL already refused the handshake
  }

  @Test
  void unknownUsedExpiredAndMalformedKeysAndAnotherNameAreEachRefusedWithOneLine() throws Exception {
    AccessKey account = env.newAccount();
    Identity id = identity("site-k");

    Reply unknown = join(PgActivationKeyStore.newKey(), "site-k", id.requestPem());
    assertEquals(404, unknown.status());
    assertEquals("UnknownActivationKey", unknown.error());
    assertTrue(unknown.body().getString("message").contains("is not known to this coordinator"), unknown.body().encode());

    Reply malformed = join("hello", "site-k", id.requestPem());
    assertEquals(400, malformed.status());
    assertTrue(malformed.body().getString("message").startsWith("Field 'activationKey' is not an activation key"),
        malformed.body().encode());

    String forA = issue(account, new JsonObject().put("name", "site-a")).body().getString("activationKey");
    Reply otherName = join(forA, "site-k", id.requestPem());
    assertEquals(400, otherName.status());
    assertEquals("Activation key " + forA.substring(0, 5) + "-... was issued for gateway site-a, not site-k",
        otherName.body().getString("message"));

    String key = issue(account, new JsonObject()).body().getString("activationKey");
    Reply badRequest = join(key, "site-k", "not a request");
    assertEquals(400, badRequest.status(), badRequest.body().encode());
    assertEquals(201, join(key, "site-k", id.requestPem()).status(), "a refused request spent nothing");
    Reply used = join(key, "site-k2", identity("site-k2").requestPem());
    assertEquals(409, used.status());
    assertEquals("ActivationKeyUsed", used.error());
    assertTrue(used.body().getString("message").contains("was used already"), used.body().encode());

    PgActivationKeyStore store = new PgActivationKeyStore(env.coordinator.pool());
    String old = await(store.issue(account.accountId(), null, Duration.ofMinutes(5), Instant.now().minus(Duration.ofMinutes(6))))
        .activationKey();
    Reply expired = join(old, "site-k3", identity("site-k3").requestPem());
    assertEquals(410, expired.status());
    assertEquals("ActivationExpired", expired.error());
    assertTrue(expired.body().getString("message").matches("Activation key [0-9A-Z]{5}-\\.\\.\\. expired at .*: ask for a new one"),
        expired.body().encode());
    assertEquals(1, env.gatewayClient(account).listGateways(r -> { }).gateways().size(), "only the one good join made a gateway");
  }

  @Test
  void issuingAKeyNeedsTheAccountsSignatureAndALifetimeInRange() {
    Reply unsigned = anonymous().postRaw("/activation-keys", "{}", null);
    assertNotEquals(201, unsigned.status(), unsigned.body().encode());
    assertNull(unsigned.body().getString("activationKey"));
    AccessKey account = env.newAccount();
    Reply tooLong = issue(account, new JsonObject().put("expiresInSeconds", Duration.ofDays(8).toSeconds()));
    assertEquals(400, tooLong.status(), tooLong.body().encode());
  }

  @Test
  void aCertificateOfTheGatewayCaThatNoGatewayHoldsIsRefused() throws Exception {
    // signed by the right CA (as an operator's own CA signing by hand might), but no gateway joined with it
    Identity id = identity("site-stray");
    IssuedCertificate stray = env.coordinator.gatewayPki().ca().sign(id.requestPem(), "site-stray", Duration.ofDays(1));
    Reply refused = await(mtls(stray.certificatePem(), id.keyPem(), env.coordinator.gatewayPki().coordinatorCaPem(),
        "/heartbeat", new JsonObject()));
    assertEquals(401, refused.status());
    assertEquals("UnrecognizedClientException", refused.error());
    assertTrue(refused.body().getString("message").contains("is not of a registered gateway"), refused.body().encode());
  }

  @Test
  void theCommandLinePrintsAKeyThatJoinsOnce() throws Exception {
    AccessKey account = env.newAccount();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new CoordinatorMain());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("gateways", "activation-key", "--account", account.accountId(), "--name", "site-cli",
        "--expires-in", "2h", "--database", env.coordinator.embeddedDatabaseUrl().orElseThrow());
    assertEquals(0, code, err.toString());
    Matcher m = Pattern.compile("activation key ([0-9A-Z-]{29}) for account " + account.accountId()
        + " and gateway site-cli \\(single use, valid until (\\S+)\\)").matcher(out.toString());
    assertTrue(m.find(), out.toString());
    assertTrue(Duration.between(Instant.now(), Instant.parse(m.group(2))).toMinutes() >= 119, m.group(2));
    assertTrue(out.toString().contains("--activation-key " + m.group(1)), out.toString());
    assertEquals(201, join(m.group(1), "site-cli", identity("site-cli").requestPem()).status());
    assertEquals(409, join(m.group(1), "site-cli", identity("site-cli").requestPem()).status());

    StringWriter err2 = new StringWriter();
    CommandLine bad = new CommandLine(new CoordinatorMain());
    bad.setErr(new PrintWriter(err2));
    assertEquals(2, bad.execute("gateways", "activation-key", "--account", account.accountId(), "--expires-in", "9d",
        "--database", "postgresql://nobody@127.0.0.1:1/x"));
    assertEquals("coordinator gateways activation-key: --expires-in 9d: expected 1m to 7d\n", err2.toString());
  }

  @Test
  void theCommandLineAsksARunningCoordinatorWithTheAdminKey(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    AccessKey account = env.newAccount();
    java.nio.file.Path credentials = dir.resolve("admin-credentials");
    dev.vaultgate.coordinator.auth.AdminCredentials.write(credentials, account, "us-east-1");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new CoordinatorMain());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("gateways", "activation-key", "--endpoint", env.endpoint().toString(), "--credentials",
        credentials.toString(), "--expires-in", "10m");
    assertEquals(0, code, err.toString());
    Matcher m = Pattern.compile("activation key ([0-9A-Z-]{29}) for account " + account.accountId() + " \\(single use").matcher(out.toString());
    assertTrue(m.find(), "the signing key's account: " + out);
    assertEquals(201, join(m.group(1), "site-endpoint", identity("site-endpoint").requestPem()).status());

    java.nio.file.Path wrong = dir.resolve("wrong-credentials");
    dev.vaultgate.coordinator.auth.AdminCredentials.write(wrong, new AccessKey(account.accessKeyId(), "not-the-secret",
        account.accountId()), "us-east-1");
    StringWriter err2 = new StringWriter();
    CommandLine refused = new CommandLine(new CoordinatorMain());
    refused.setErr(new PrintWriter(err2));
    assertEquals(2, refused.execute("gateways", "activation-key", "--endpoint", env.endpoint().toString(), "--credentials",
        wrong.toString()));
    assertTrue(err2.toString().startsWith("coordinator gateways activation-key: coordinator " + env.endpoint()
        + " refused (403 InvalidSignatureException)"), err2.toString());
  }

  @Test
  void theActivityLogNeverKeepsAWholeKey() {
    JsonObject masked = AgentApi.masked(new JsonObject().put("activationKey", "7KQ2M-AAAAA-BBBBB-CCCCC-DDDDD").put("name", "x"));
    assertEquals("7KQ2M-...", masked.getString("activationKey"));
    assertEquals("x", masked.getString("name"));
    assertNull(AgentApi.masked(null));
  }
}
