package dev.vaultgate.appliance;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.tls.GatewayIdentity;
import io.vertx.core.Future;
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

/**
 * Joining a coordinator: the gateway makes its key pair, sends a certificate request with the single-use
 * activation key to {@code POST /agent/v1/activations/claim} (server-authenticated TLS, trusting only the
 * coordinator's CA), and stores the certificate that comes back, checked to be for its own key. From then on
 * it talks to the coordinator only over mutual TLS with that certificate.
 *
 * <p>The claim: {@code {"activationKey", "gatewayName", "certificateRequest": PEM}} -> {@code {"gatewayId",
 * "certificate": PEM, "caCertificate": PEM}}; errors are {@code {"error", "message"}} with 4xx.
 */
public final class Registration {
  public static final String CLAIM_PATH = "/agent/v1/activations/claim";

  private Registration() {
  }

  /** What the claim gave: the gateway's id at the coordinator and where its certificate now is. */
  public record Registered(String gatewayId, Path certificateFile) {
  }

  /**
   * Registers the gateway of {@code config} with {@code coordinator}. An existing certificate is not replaced
   * (the operator removes it to re-register); the private key is written only once the certificate is accepted.
   */
  public static Future<Registered> register(Vertx vertx, ApplianceConfig config, URI coordinator, String activationKey) {
    ApplianceConfig.Tls tls = config.tls();
    if (Files.exists(tls.certificateFile())) {
      return Future.failedFuture(new IllegalStateException("gateway " + config.gatewayName() + " is registered already: "
          + tls.certificateFile() + " exists (remove it and " + tls.privateKeyFile() + " to register again)"));
    }
    if (!Files.isReadable(tls.coordinatorCaFile())) {
      return Future.failedFuture(new IllegalArgumentException("cannot read the coordinator CA certificate " + tls.coordinatorCaFile()
          + ": put the CA that signed the coordinator's certificate there (--coordinator-ca FILE copies it)"));
    }
    GatewayIdentity id = GatewayIdentity.generate(config.gatewayName());
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(true).setConnectTimeout(10_000)
        .setTrustOptions(new PemTrustOptions().addCertPath(tls.coordinatorCaFile().toString())));
    JsonObject body = new JsonObject().put("activationKey", activationKey).put("gatewayName", config.gatewayName())
        .put("certificateRequest", id.certificateRequestPem());
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setHost(coordinator.getHost())
        .setPort(coordinator.getPort() < 0 ? 443 : coordinator.getPort()).setURI(CLAIM_PATH).setSsl(true).setTimeout(30_000)
        .putHeader("Content-Type", "application/json");
    return client.request(ro)
        .compose(req -> req.send(body.toBuffer()).compose(res -> res.body().map(b -> answer(coordinator, res.statusCode(), b))))
        .recover(e -> Future.failedFuture(e instanceof IllegalStateException ? e
            : new IllegalStateException("cannot reach coordinator " + coordinator + " to register: " + e.getMessage(), e)))
        .compose(answer -> vertx.executeBlocking(() -> store(config, id, answer), false))
        .eventually(client::close);
  }

  private static JsonObject answer(URI coordinator, int status, Buffer body) {
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (DecodeException e) {
      throw new IllegalStateException("coordinator " + coordinator + " answered the claim with HTTP " + status + " and no JSON");
    }
    if (status != 200) {
      throw new IllegalStateException("coordinator " + coordinator + " refused the activation (" + status + " "
          + json.getString("error", "") + "): " + json.getString("message", ""));
    }
    return json;
  }

  private static Registered store(ApplianceConfig config, GatewayIdentity id, JsonObject answer) throws IOException {
    String certPem = answer.getString("certificate");
    if (certPem == null) {
      throw new IllegalStateException("the coordinator's claim answer has no certificate");
    }
    id.acceptCertificate(certPem); // refuses a certificate for any other key before anything is written
    ApplianceConfig.Tls tls = config.tls();
    Files.createDirectories(tls.certificateFile().toAbsolutePath().getParent());
    Path tmpKey = tls.privateKeyFile().resolveSibling(tls.privateKeyFile().getFileName() + ".new");
    Files.deleteIfExists(tmpKey);
    id.writePrivateKey(tmpKey);
    Files.move(tmpKey, tls.privateKeyFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Path tmpCert = tls.certificateFile().resolveSibling(tls.certificateFile().getFileName() + ".new");
    Files.writeString(tmpCert, certPem);
    Files.move(tmpCert, tls.certificateFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return new Registered(answer.getString("gatewayId", config.gatewayName()), tls.certificateFile());
  }
}
