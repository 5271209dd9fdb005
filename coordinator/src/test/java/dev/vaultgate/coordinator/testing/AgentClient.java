package dev.vaultgate.coordinator.testing;

import dev.vaultgate.coordinator.auth.AccessKey;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * A gateway as the agent API sees it: registered with an account's access key (SigV4), then
 * calling with its bearer token. Plain JDK HTTP, so the tests hold the wire format, not a client
 * library's idea of it.
 */
public final class AgentClient {

  /** A response: status and JSON body. */
  public record Reply(int status, JsonObject body) {
    public String error() {
      return body.getString("error");
    }
  }

  /** HTTP/1.1: many concurrent calls each get a connection, as many gateways would. */
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  public final URI endpoint;
  public final String gatewayId;
  public final String token;

  private AgentClient(URI endpoint, String gatewayId, String token) {
    this.endpoint = endpoint;
    this.gatewayId = gatewayId;
    this.token = token;
  }

  /** Registers a gateway named {@code name} for the key's account. */
  public static AgentClient register(URI endpoint, AccessKey key, String name) {
    SignedHttp.Response r = SignedHttp.send(endpoint, key, "POST", "/agent/v1/gateways",
        new JsonObject().put("name", name).put("softwareVersion", "test").encode());
    if (r.status() != 201) throw new IllegalStateException("cannot register " + name + ": " + r.status() + " " + r.body());
    JsonObject body = r.json();
    return new AgentClient(endpoint, body.getString("gatewayId"), body.getString("token"));
  }

  /** No gateway yet: for the calls an appliance makes before it has one (activations). */
  public static AgentClient anonymous(URI endpoint) {
    return new AgentClient(endpoint, null, null);
  }

  /** The same gateway talking to another coordinator (a replica). */
  public AgentClient via(URI otherEndpoint) {
    return new AgentClient(otherEndpoint, gatewayId, token);
  }

  public Reply post(String path, JsonObject body) {
    return postRaw(path, body == null ? "" : body.encode(), "Bearer " + token);
  }

  public CompletableFuture<Reply> postAsync(String path, JsonObject body) {
    return HTTP.sendAsync(request(path, body.encode(), "Bearer " + token), HttpResponse.BodyHandlers.ofString())
        .thenApply(AgentClient::reply);
  }

  /** A request with any body and Authorization header (null: none). */
  public Reply postRaw(String path, String body, String authorization) {
    try {
      return reply(HTTP.send(request(path, body, authorization), HttpResponse.BodyHandlers.ofString()));
    } catch (Exception e) {
      throw new IllegalStateException("cannot POST " + path, e);
    }
  }

  private HttpRequest request(String path, String body, String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + "/agent/v1" + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (authorization != null) b.header("Authorization", authorization);
    return b.build();
  }

  private static Reply reply(HttpResponse<String> r) {
    String body = r.body();
    return new Reply(r.statusCode(), body == null || body.isEmpty() ? new JsonObject() : new JsonObject(body));
  }

  public Reply lease() {
    return post("/backup-jobs/lease", new JsonObject());
  }

  public Reply progress(String jobId, double percent, long bytes) {
    return post("/backup-jobs/" + jobId + "/progress",
        new JsonObject().put("percentDone", percent).put("bytesTransferred", bytes));
  }

  public Reply complete(String jobId, long size) {
    return post("/backup-jobs/" + jobId + "/complete",
        new JsonObject().put("backupSizeInBytes", size).put("restoreMetadata", new JsonObject().put("vmName", "vm")));
  }

  public Reply fail(String jobId, String message) {
    return post("/backup-jobs/" + jobId + "/fail", new JsonObject().put("message", message));
  }
}
