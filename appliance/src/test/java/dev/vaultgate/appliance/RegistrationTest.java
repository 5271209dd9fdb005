package dev.vaultgate.appliance;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.tls.MutualTls;
import dev.vaultgate.appliance.tls.Pki;
import dev.vaultgate.vault.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backupgateway.model.GatewayType;
import software.amazon.awssdk.services.backupgateway.model.ValidationException;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vaultgate register} against a real coordinator: the appliance asks for an activation with its
 * certificate request, an administrator calls CreateGateway with the key through the real backup-gateway SDK
 * client, the claim brings the certificate, and the stored identity talks mutual TLS with the coordinator's
 * gateway listener. A reused key, an expired activation, a coordinator CA the listener does not match and an
 * already registered gateway are refused, and nothing is written then. And the issue's way: a key the operator
 * issued joins the gateway at once; unknown, reused and expired keys are refused with one line each.
 */
class RegistrationTest {
  @TempDir
  static Path shared;
  @TempDir
  Path dir;
  static RealCoordinator coordinator;
  Vertx vertx;

  @BeforeAll
  static void startCoordinator() {
    coordinator = new RealCoordinator(shared, null);
  }

  @AfterAll
  static void stopCoordinator() {
    coordinator.close();
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  <T> T await(java.util.function.Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(90));
  }

  private ApplianceConfig config(String name, Path data) {
    Path tls = data.resolve("tls");
    return new ApplianceConfig(name, coordinator.gatewayEndpoint(), data,
        new ApplianceConfig.Vault("file:///tmp/none", data.resolve("master.key")), Optional.empty(),
        new ApplianceConfig.Tls(tls.resolve("gateway.crt"), tls.resolve("gateway.key"), tls.resolve("coordinator-ca.crt")),
        new ApplianceConfig.WebUi("127.0.0.1", 9443, "unused"), 1, List.of(), ApplianceConfig.Bandwidth.UNLIMITED);
  }

  /** The administrator, off the event loop: CreateGateway with the key the appliance shows. */
  static Consumer<Registration.Activation> administratorCreatesGateway(String displayName) {
    return a -> CompletableFuture.runAsync(() -> coordinator.gatewayApi().createGateway(r -> r
        .activationKey(a.activationKey()).gatewayDisplayName(displayName).gatewayType(GatewayType.BACKUP_VM)));
  }

  static Future<JsonObject> heartbeat(Vertx vertx, ApplianceConfig c) {
    HttpClient client = vertx.createHttpClient(MutualTls.coordinatorClient(c.tls()));
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setHost("localhost")
        .setPort(coordinator.listenerPort).setURI("/agent/v1/heartbeat").putHeader("Content-Type", "application/json");
    return client.request(ro).compose(req -> req.send("{}")).compose(res -> res.body().map(b -> {
      if (res.statusCode() != 200) throw new IllegalStateException(res.statusCode() + " " + b);
      return b.toJsonObject();
    })).eventually(client::close);
  }

  @Test
  void aGatewayJoinsThroughCreateGatewayAndThenTalksMutualTls() throws Exception {
    ApplianceConfig c = config("dc1-gw1", dir.resolve("data"));
    AtomicReference<Registration.Activation> shown = new AtomicReference<>();
    Registration.Registered r = await(() -> Registration.register(vertx, c, coordinator.endpoint(),
        a -> {
          shown.set(a);
          administratorCreatesGateway("dc1 gateway 1").accept(a);
        }, Duration.ofMillis(200)));
    assertTrue(shown.get().activationKey().matches("[0-9A-Z]{5}(-[0-9A-Z]{5}){4}"), shown.get().toString());
    assertTrue(shown.get().createGatewayCommand(coordinator.endpoint(), "dc1-gw1")
        .startsWith("aws backup-gateway create-gateway --endpoint-url " + coordinator.endpoint() + " --activation-key "));
    assertTrue(r.gatewayArn().matches("arn:aws:backup-gateway:us-east-1:" + coordinator.key.accountId() + ":gateway/sgw-[0-9A-F]{8}"),
        r.gatewayArn());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(c.tls().privateKeyFile())));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(RegisteredGateway.file(c.dataDir()))));
    RegisteredGateway stored = RegisteredGateway.load(c.dataDir()).orElseThrow();
    assertEquals(r.gatewayId(), stored.gatewayId());
    assertEquals(coordinator.key.accountId(), stored.accountId());
    assertEquals("us-east-1", stored.region());
    assertTrue(Files.exists(c.tls().coordinatorCaFile()), "the claim's coordinator CA is kept");

    JsonObject beat = await(() -> heartbeat(vertx, c));
    assertEquals(r.gatewayId(), beat.getString("gatewayId"), "the coordinator knows the gateway by its certificate");
  }

  @Test
  void aReusedKeyMakesNoGatewayAndAnExpiredActivationEndsTheRegistration() throws Exception {
    AtomicReference<String> firstKey = new AtomicReference<>();
    ApplianceConfig first = config("dc1-gw2", dir.resolve("first"));
    await(() -> Registration.register(vertx, first, coordinator.endpoint(), a -> {
      firstKey.set(a.activationKey());
      administratorCreatesGateway("first").accept(a);
    }, Duration.ofMillis(200)));

    ApplianceConfig second = config("dc1-gw3", dir.resolve("second"));
    AtomicReference<Throwable> reuse = new AtomicReference<>();
    Future<Registration.Registered> registering = Registration.register(vertx, second, coordinator.endpoint(), a ->
        CompletableFuture.runAsync(() -> {
          try {
            coordinator.gatewayApi().createGateway(r -> r.activationKey(firstKey.get()).gatewayDisplayName("again")
                .gatewayType(GatewayType.BACKUP_VM));
          } catch (RuntimeException e) {
            reuse.set(e);
          }
          coordinator.clock.advance(Duration.ofMinutes(31)); // nobody used the second key in time
        }), Duration.ofMillis(200));
    IllegalStateException e;
    try {
      e = assertThrows(IllegalStateException.class, () -> await(() -> registering));
    } finally {
      coordinator.clock.advance(Duration.ofMinutes(-31)); // certificates signed later are valid now again
    }
    assertTrue(reuse.get() instanceof ValidationException && reuse.get().getMessage().contains("used already"),
        String.valueOf(reuse.get()));
    assertTrue(e.getMessage().contains("(410 ActivationExpired)"), e.getMessage());
    assertFalse(Files.exists(second.tls().certificateFile()) || Files.exists(second.tls().privateKeyFile())
        || Files.exists(RegisteredGateway.file(second.dataDir())), "nothing written");
  }

  @Test
  void aGatewayTrustingAnotherCoordinatorCaRefusesTheListener() throws Exception {
    ApplianceConfig c = config("dc1-gw4", dir.resolve("data"));
    // the operator put another CA's certificate as the coordinator CA: kept, and the listener fails to verify
    Pki other = Pki.makeDevCa(dir.resolve("other-pki"));
    Files.createDirectories(c.tls().coordinatorCaFile().getParent());
    Files.copy(other.dir.resolve("coordinator-ca.crt"), c.tls().coordinatorCaFile());
    await(() -> Registration.register(vertx, c, coordinator.endpoint(), administratorCreatesGateway("gw4"), Duration.ofMillis(200)));
    Throwable e = assertThrows(RuntimeException.class, () -> await(() -> heartbeat(vertx, c)));
    boolean pkix = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      pkix |= t instanceof javax.net.ssl.SSLHandshakeException && String.valueOf(t.getMessage()).contains("PKIX path building failed");
    }
    assertTrue(pkix, "the gateway could not verify the listener's certificate: " + e);
  }

  @Test
  void anAlreadyRegisteredGatewayIsNotReplaced() throws Exception {
    ApplianceConfig c = config("dc1-gw5", dir.resolve("data"));
    await(() -> Registration.register(vertx, c, coordinator.endpoint(), administratorCreatesGateway("gw5"), Duration.ofMillis(200)));
    String cert = Files.readString(c.tls().certificateFile());
    IllegalStateException again = assertThrows(IllegalStateException.class, () -> await(() ->
        Registration.register(vertx, c, coordinator.endpoint(), a -> { }, Duration.ofMillis(200))));
    assertTrue(again.getMessage().startsWith("gateway dc1-gw5 is registered already"), again.getMessage());
    assertEquals(cert, Files.readString(c.tls().certificateFile()));
    IllegalArgumentException badUrl = assertThrows(IllegalArgumentException.class, () -> await(() ->
        Registration.register(vertx, config("x", dir.resolve("x")), URI.create("ftp://h"), a -> { }, Duration.ofMillis(200))));
    assertTrue(badUrl.getMessage().startsWith("--coordinator ftp://h: expected"), badUrl.getMessage());
  }

  String operatorKey(String name, Duration lifetime) {
    return await(() -> new dev.vaultgate.coordinator.gateway.PgActivationKeyStore(coordinator.coordinator.pool())
        .issue(coordinator.key.accountId(), name, lifetime, coordinator.clock.instant())).activationKey();
  }

  void assertNothingWritten(ApplianceConfig c) {
    assertFalse(Files.exists(c.tls().certificateFile()) || Files.exists(c.tls().privateKeyFile())
        || Files.exists(RegisteredGateway.file(c.dataDir())), "nothing written");
  }

  @Test
  void aGatewayJoinsWithAnOperatorsKeyAtOnceAndThenTalksMutualTls() throws Exception {
    ApplianceConfig c = config("dc1-gw6", dir.resolve("data"));
    String key = operatorKey("dc1-gw6", Duration.ofMinutes(30));
    Registration.Registered r = await(() -> Registration.join(vertx, c, coordinator.endpoint(), key));
    assertTrue(r.gatewayArn().matches("arn:aws:backup-gateway:us-east-1:" + coordinator.key.accountId() + ":gateway/sgw-[0-9A-F]{8}"),
        r.gatewayArn());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(c.tls().privateKeyFile())));
    assertEquals(r.gatewayId(), RegisteredGateway.load(c.dataDir()).orElseThrow().gatewayId());
    JsonObject beat = await(() -> heartbeat(vertx, c));
    assertEquals(r.gatewayId(), beat.getString("gatewayId"), "the coordinator knows the gateway by its certificate");
    assertTrue(coordinator.gatewayApi().listGateways(q -> { }).gateways().stream()
        .anyMatch(g -> g.gatewayArn().equals(r.gatewayArn()) && g.gatewayDisplayName().equals("dc1-gw6")));
  }

  /** A config file as an operator writes one, for the register command. */
  Path configFile(String name, Path data) throws java.io.IOException {
    dev.vaultgate.vault.crypto.LocalKeyWrapper.create(Files.createDirectories(data).resolve("master.key"));
    JsonObject conf = new JsonObject().put("gatewayName", name).put("coordinatorUrl", coordinator.gatewayEndpoint().toString())
        .put("dataDir", data.toString())
        .put("vault", new JsonObject().put("url", "file:///tmp/none").put("masterKeyFile", data.resolve("master.key").toString()))
        .put("webUi", new JsonObject().put("host", "127.0.0.1").put("port", 9443).put("adminPasswordHash",
            dev.vaultgate.appliance.config.PasswordHash.create("unused".toCharArray(), 10_000).encode()));
    return Files.writeString(dir.resolve(name + ".conf"), conf.encodePrettily());
  }

  @Test
  void theRegisterCommandJoinsWithAnOperatorsKeyAndARefusedKeyExitsOneWithOneLine() throws Exception {
    String key = operatorKey(null, Duration.ofMinutes(30));
    Path first = configFile("dc1-gw11", dir.resolve("cli-first"));
    java.io.StringWriter err = new java.io.StringWriter();
    int rc = ApplianceMain.execute(new java.io.PrintWriter(err, true), "register", "--config", first.toString(),
        "--coordinator", coordinator.endpoint().toString(), "--activation-key", key);
    assertEquals(0, rc, err.toString());
    ApplianceConfig joined = dev.vaultgate.appliance.config.ApplianceConfigParser.load(first);
    RegisteredGateway stored = RegisteredGateway.load(joined.dataDir()).orElseThrow();
    assertEquals(coordinator.key.accountId(), stored.accountId());
    assertEquals(stored.gatewayId(), await(() -> heartbeat(vertx, joined)).getString("gatewayId"), "mutual TLS from then on");

    Path second = configFile("dc1-gw12", dir.resolve("cli-second"));
    java.io.StringWriter refused = new java.io.StringWriter();
    rc = ApplianceMain.execute(new java.io.PrintWriter(refused, true), "register", "--config", second.toString(),
        "--coordinator", coordinator.endpoint().toString(), "--activation-key", key);
    assertEquals(1, rc, refused.toString());
    String line = refused.toString().strip();
    assertFalse(line.contains("\n") || line.contains("\tat "), "one line, no stack trace: " + line);
    assertTrue(line.startsWith("vaultgate register: coordinator ") && line.contains("ActivationKeyUsed"), line);
    assertNothingWritten(dev.vaultgate.appliance.config.ApplianceConfigParser.load(second));
  }

  @Test
  void unknownReusedAndExpiredKeysAreRefusedWithOneLineAndNothingWritten() throws Exception {
    ApplianceConfig unknownGw = config("dc1-gw7", dir.resolve("unknown"));
    IllegalStateException unknown = assertThrows(IllegalStateException.class, () -> await(() ->
        Registration.join(vertx, unknownGw, coordinator.endpoint(), "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")));
    assertEquals("coordinator " + coordinator.endpoint() + " refused to join with activation key AAAAA-... (404"
        + " UnknownActivationKey): Activation key AAAAA-... is not known to this coordinator: ask its operator for one"
        + " (scripts/coordinator gateways activation-key)", unknown.getMessage());
    assertNothingWritten(unknownGw);

    String key = operatorKey(null, Duration.ofMinutes(30));
    await(() -> Registration.join(vertx, config("dc1-gw8", dir.resolve("first")), coordinator.endpoint(), key));
    ApplianceConfig second = config("dc1-gw9", dir.resolve("second"));
    IllegalStateException reused = assertThrows(IllegalStateException.class, () -> await(() ->
        Registration.join(vertx, second, coordinator.endpoint(), key)));
    assertTrue(reused.getMessage().contains("(409 ActivationKeyUsed): Activation key " + key.substring(0, 5)
        + "-... was used already"), reused.getMessage());
    assertFalse(reused.getMessage().contains(key), "the whole key is never repeated");
    assertNothingWritten(second);

    String soon = operatorKey(null, Duration.ofMinutes(5));
    ApplianceConfig late = config("dc1-gw10", dir.resolve("late"));
    coordinator.clock.advance(Duration.ofMinutes(6));
    IllegalStateException expired;
    try {
      expired = assertThrows(IllegalStateException.class, () -> await(() -> Registration.join(vertx, late, coordinator.endpoint(), soon)));
    } finally {
      coordinator.clock.advance(Duration.ofMinutes(-6));
    }
    assertTrue(expired.getMessage().contains("(410 ActivationExpired): Activation key " + soon.substring(0, 5) + "-... expired at "),
        expired.getMessage());
    assertFalse(expired.getMessage().contains("\n"));
    assertNothingWritten(late);
  }
}
