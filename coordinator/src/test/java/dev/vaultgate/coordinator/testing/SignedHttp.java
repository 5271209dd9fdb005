package dev.vaultgate.coordinator.testing;

import dev.vaultgate.coordinator.auth.AccessKey;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Raw HTTP requests signed by the AWS SDK's own SigV4 signer (so the coordinator is checked
 * against an independent implementation), for what the SDK clients would never send:
 * malformed JSON, unknown fields, oversized bodies, stale clocks.
 */
public final class SignedHttp {

  /** A response: status, headers, body. */
  public record Response(int status, Map<String, List<String>> headers, String body) {
    public String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0)).findFirst().orElse(null);
    }

    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private SignedHttp() {}

  public static Response send(URI endpoint, AccessKey key, String method, String rawPathAndQuery, byte[] body, Clock clock) {
    return send(endpoint, key, method, rawPathAndQuery, body, clock, "us-east-1");
  }

  public static Response send(
      URI endpoint, AccessKey key, String method, String rawPathAndQuery, byte[] body, Clock clock, String region) {
    URI uri = URI.create(endpoint + rawPathAndQuery);
    SdkHttpRequest.Builder builder = SdkHttpRequest.builder().method(SdkHttpMethod.fromValue(method)).uri(uri);
    if (body != null) builder.putHeader("Content-Type", "application/json");
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> {
      r.identity(AwsCredentialsIdentity.create(key.accessKeyId(), key.secretAccessKey()))
          .request(builder.build())
          .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "backup")
          .putProperty(AwsV4HttpSigner.REGION_NAME, region)
          .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, clock);
      if (body != null) r.payload(ContentStreamProvider.fromByteArray(body));
    });
    HttpRequest.Builder req = HttpRequest.newBuilder(uri)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    signed.request().headers().forEach((name, values) -> {
      if (!RESTRICTED.contains(name.toLowerCase())) values.forEach(v -> req.header(name, v));
    });
    try {
      HttpResponse<String> resp = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Response(resp.statusCode(), resp.headers().map(), resp.body());
    } catch (Exception e) {
      throw new IllegalStateException("cannot send " + method + " " + uri, e);
    }
  }

  /**
   * A JSON-protocol call ({@code POST /} with {@code X-Amz-Target}) signed for {@code service};
   * a null target or content type leaves that header out.
   */
  public static Response sendJson(URI endpoint, AccessKey key, String service, String target, String contentType,
      String body) {
    URI uri = URI.create(endpoint + "/");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    SdkHttpRequest.Builder builder = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(uri);
    if (contentType != null) builder.putHeader("Content-Type", contentType);
    if (target != null) builder.putHeader("X-Amz-Target", target);
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
        .identity(AwsCredentialsIdentity.create(key.accessKeyId(), key.secretAccessKey()))
        .request(builder.build())
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
        .payload(ContentStreamProvider.fromByteArray(bytes)));
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
    signed.request().headers().forEach((name, values) -> {
      if (!RESTRICTED.contains(name.toLowerCase())) values.forEach(v -> req.header(name, v));
    });
    try {
      HttpResponse<String> resp = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Response(resp.statusCode(), resp.headers().map(), resp.body());
    } catch (Exception e) {
      throw new IllegalStateException("cannot send " + target + " to " + uri, e);
    }
  }

  public static Response send(URI endpoint, AccessKey key, String method, String rawPathAndQuery, String body) {
    return send(endpoint, key, method, rawPathAndQuery,
        body == null ? null : body.getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
  }
}
