package dev.vaultgate.appliance;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.tls.GatewayIdentity;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Joining a coordinator, as AWS's gateway appliances join: the gateway makes its key pair and asks the
 * coordinator for an activation with its name and a PKCS#10 certificate request ({@code POST
 * /agent/v1/activations}, no credentials); it shows the activation key, an administrator calls the
 * backup-gateway API's CreateGateway with it, and the gateway, polling {@code /agent/v1/activations/claim}
 * with the poll token only it holds, receives its certificate signed by the coordinator's gateway CA (checked
 * to be for its own key), the gateway CA, the CA of the coordinator's gateway listener and its identity. It
 * stores them under {@code dataDir} (keys and identity 0600) and from then on talks to the coordinator only
 * over mutual TLS on the gateway listener. The key is single-use and expires (30 minutes): an expired
 * activation ends the registration with the coordinator's message.
 *
 * <p>Or, the way, with a key an operator issued ({@code scripts/coordinator gateways activation-key}): the
 * gateway sends the key, its name and its request to {@code POST /agent/v1/join} and gets the same answer at once
 * ({@link #join}). An unknown, used or expired key is refused with the coordinator's one line, and nothing is
 * written.
 */
public final class Registration {
  public static final String ACTIVATIONS_PATH = "/agent/v1/activations";
  public static final String CLAIM_PATH = "/agent/v1/activations/claim";
  public static final String JOIN_PATH = "/agent/v1/join";

  private Registration() {
  }

  /** What an administrator needs: the key for CreateGateway, and until when it works. */
  public record Activation(String activationKey, Instant expiresAt) {
    /** The AWS CLI command that uses the key ({@code endpoint}: the coordinator's API). */
    public String createGatewayCommand(URI endpoint, String gatewayName) {
      return "aws backup-gateway create-gateway --endpoint-url " + endpoint + " --activation-key " + activationKey
          + " --gateway-display-name " + gatewayName + " --gateway-type BACKUP_VM";
    }
  }

  /** What the claim gave, as stored. */
  public record Registered(String gatewayId, String gatewayArn, Path certificateFile, String gatewayEndpoint) {
  }

  /**
   * Registers the gateway of {@code config} at {@code coordinator} (its API URL, http or https; https trusts
   * the config's coordinator CA file when there is one, else the system's CAs). {@code show} is called once
   * with the activation key; the claim is polled every {@code pollEvery}. An existing certificate is not
   * replaced (the operator removes it to register again); nothing is written until the certificate came back.
   */
  public static Future<Registered> register(Vertx vertx, ApplianceConfig config, URI coordinator,
      Consumer<Activation> show, Duration pollEvery) {
    HttpClient client;
    try {
      client = client(vertx, config, coordinator);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return vertx.executeBlocking(() -> GatewayIdentity.generate(config.gatewayName()), false)
        .compose(id -> post(client, coordinator, ACTIVATIONS_PATH, new JsonObject().put("name", config.gatewayName())
                .put("certificateRequest", id.certificateRequestPem()), 201, "ask for an activation")
            .compose(activation -> {
              show.accept(new Activation(activation.getString("activationKey"),
                  Instant.parse(activation.getString("expiresAt"))));
              return pollClaim(vertx, client, coordinator, activation.getString("pollToken"), pollEvery);
            })
            .compose(claimed -> vertx.executeBlocking(() -> store(config, id, claimed), false)))
        .eventually(client::close);
  }

  /**
   * Joins with {@code activationKey}, a key an operator issued for the account: makes the key pair, sends the key,
   * the gateway's name and its request, and stores the certificate the answer brings. Nothing is written unless
   * the coordinator signed the request.
   */
  public static Future<Registered> join(Vertx vertx, ApplianceConfig config, URI coordinator, String activationKey) {
    HttpClient client;
    try {
      if (activationKey == null || activationKey.isBlank()) {
        throw new IllegalArgumentException("--activation-key: empty (give the key the coordinator's operator issued)");
      }
      client = client(vertx, config, coordinator);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return vertx.executeBlocking(() -> GatewayIdentity.generate(config.gatewayName()), false)
        .compose(id -> post(client, coordinator, JOIN_PATH, new JsonObject().put("activationKey", activationKey.trim())
                .put("name", config.gatewayName()).put("certificateRequest", id.certificateRequestPem()), 201,
            "join with activation key " + shown(activationKey.trim()))
            .compose(joined -> vertx.executeBlocking(() -> store(config, id, joined), false)))
        .eventually(client::close);
  }

  /** The first group of a key: enough to tell which one in an error, not enough to use it. */
  static String shown(String key) {
    return key.length() > 5 ? key.substring(0, 5) + "-..." : key;
  }

  /** A client for the coordinator's API; refuses to run when the gateway is registered already or the URL is no API URL. */
  private static HttpClient client(Vertx vertx, ApplianceConfig config, URI coordinator) {
    ApplianceConfig.Tls tls = config.tls();
    if (Files.exists(tls.certificateFile())) {
      throw new IllegalStateException("gateway " + config.gatewayName() + " is registered already: "
          + tls.certificateFile() + " exists (remove it and " + tls.privateKeyFile() + " to register again)");
    }
    if (coordinator.getHost() == null || !("http".equals(coordinator.getScheme()) || "https".equals(coordinator.getScheme()))) {
      throw new IllegalArgumentException("--coordinator " + coordinator + ": expected the coordinator's API URL, http(s)://host:port");
    }
    boolean https = "https".equals(coordinator.getScheme());
    HttpClientOptions options = new HttpClientOptions().setSsl(https).setVerifyHost(true).setConnectTimeout(10_000);
    if (https && Files.isReadable(tls.coordinatorCaFile())) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(tls.coordinatorCaFile().toString()));
    }
    return vertx.createHttpClient(options);
  }

  private static Future<JsonObject> pollClaim(Vertx vertx, HttpClient client, URI coordinator, String pollToken,
      Duration every) {
    return post(client, coordinator, CLAIM_PATH, new JsonObject().put("pollToken", pollToken), 200, "claim the gateway")
        .compose(answer -> {
          if (answer.containsKey("gatewayId")) return Future.succeededFuture(answer);
          Promise<Void> later = Promise.promise();
          vertx.setTimer(every.toMillis(), t -> later.complete());
          return later.future().compose(v -> pollClaim(vertx, client, coordinator, pollToken, every));
        });
  }

  private static Future<JsonObject> post(HttpClient client, URI coordinator, String path, JsonObject body, int expected,
      String what) {
    int port = coordinator.getPort() > 0 ? coordinator.getPort() : "https".equals(coordinator.getScheme()) ? 443 : 80;
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setHost(coordinator.getHost()).setPort(port)
        .setURI(path).setTimeout(30_000).putHeader("Content-Type", "application/json");
    return client.request(ro)
        .compose(req -> req.send(body.toBuffer()).compose(res -> res.body()
            .map(b -> answer(coordinator, what, res.statusCode(), expected, b))))
        .recover(e -> Future.failedFuture(e instanceof IllegalStateException ? e
            : new IllegalStateException("cannot reach coordinator " + coordinator + " to " + what + ": " + e.getMessage(), e)));
  }

  private static JsonObject answer(URI coordinator, String what, int status, int expected, Buffer body) {
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (DecodeException e) {
      throw new IllegalStateException("coordinator " + coordinator + " answered '" + what + "' with HTTP " + status + " and no JSON");
    }
    if (status != expected) {
      throw new IllegalStateException("coordinator " + coordinator + " refused to " + what + " (" + status + " "
          + json.getString("error", "") + "): " + json.getString("message", ""));
    }
    return json;
  }

  private static Registered store(ApplianceConfig config, GatewayIdentity id, JsonObject answer) throws IOException {
    String certPem = answer.getString("certificate");
    if (certPem == null) {
      throw new IllegalStateException("the coordinator's claim answer has no certificate (does it have a gateway CA?)");
    }
    id.acceptCertificate(certPem); // refuses a certificate for any other key before anything is written
    ApplianceConfig.Tls tls = config.tls();
    Path tlsDir = tls.certificateFile().toAbsolutePath().getParent();
    Files.createDirectories(tlsDir);
    Path tmpKey = tls.privateKeyFile().resolveSibling(tls.privateKeyFile().getFileName() + ".new");
    Files.deleteIfExists(tmpKey);
    id.writePrivateKey(tmpKey);
    Files.move(tmpKey, tls.privateKeyFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    String gatewayCa = answer.getString("caCertificate");
    if (gatewayCa != null && !gatewayCa.isBlank()) {
      replace(tlsDir.resolve("gateway-ca.crt"), gatewayCa, false);
    }
    // an operator's own coordinator CA (put there before) wins over what the claim says
    String coordinatorCa = answer.getString("coordinatorCaCertificate");
    if (coordinatorCa != null && !Files.exists(tls.coordinatorCaFile())) {
      Files.createDirectories(tls.coordinatorCaFile().toAbsolutePath().getParent());
      replace(tls.coordinatorCaFile(), coordinatorCa, false);
    }
    RegisteredGateway identity = new RegisteredGateway(answer.getString("gatewayId"), answer.getString("gatewayArn"),
        answer.getString("gatewayEndpoint"));
    replace(RegisteredGateway.file(config.dataDir()), identity.toJson().encodePrettily(), true);
    replace(tls.certificateFile(), certPem, false); // last: its presence means "registered"
    return new Registered(identity.gatewayId(), identity.gatewayArn(), tls.certificateFile(), identity.gatewayEndpoint());
  }

  /** Writes {@code file} whole (a new file moved over the old one); {@code secret}: mode 0600. */
  static void replace(Path file, String content, boolean secret) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".new");
    Files.deleteIfExists(tmp);
    if (secret) {
      try {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException notPosix) {
        Files.createFile(tmp);
      }
    }
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
