package dev.vaultgate.agent.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * The coordinator's agent API as the gateway calls it (JSON over HTTP(S) under {@code /agent/v1}), on Vert.x's
 * asynchronous HTTP client. Registration is signed with AWS Signature V4 by an account key; every other call
 * carries the gateway's bearer token. An error answer becomes a {@link CoordinatorException} with the API's
 * status, error type and message; no answer becomes one with status 0.
 */
public final class CoordinatorClient {
  public static final String PREFIX = "/agent/v1";
  /** Headers Vert.x writes itself; sending the signer's copy would duplicate them. */
  private static final Set<String> TRANSPORT_HEADERS = Set.of("host", "content-length", "connection");

  private final HttpClient http;
  private final URI endpoint;
  private final String region;
  private final Duration timeout;
  private volatile String token;
  /** True on the gateway listener: the client certificate says who calls, no token is sent. */
  private final boolean byCertificate;

  public CoordinatorClient(Vertx vertx, URI endpoint, String region, Duration timeout) {
    this(vertx, endpoint, region, timeout, null, null);
  }

  /**
   * A client of the coordinator's gateway listener ({@code https://}): it presents the gateway's certificate
   * ({@code keyCert}) and trusts only {@code trust} for the coordinator, checking its host name. The gateway
   * joined already, so it is {@link #registered()} at once and sends no token.
   */
  public static CoordinatorClient mutualTls(Vertx vertx, URI endpoint, String region, Duration timeout,
      io.vertx.core.net.KeyCertOptions keyCert, io.vertx.core.net.TrustOptions trust) {
    if (!"https".equals(endpoint.getScheme())) {
      throw new IllegalArgumentException("the coordinator's gateway listener must be https://host:port, got " + endpoint);
    }
    return new CoordinatorClient(vertx, endpoint, region, timeout, keyCert, trust);
  }

  private CoordinatorClient(Vertx vertx, URI endpoint, String region, Duration timeout,
      io.vertx.core.net.KeyCertOptions keyCert, io.vertx.core.net.TrustOptions trust) {
    if (endpoint.getHost() == null || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
      throw new IllegalArgumentException("coordinator URL must be http(s)://host[:port], got " + endpoint);
    }
    this.endpoint = endpoint;
    this.region = region;
    this.timeout = timeout;
    this.byCertificate = keyCert != null;
    boolean tls = endpoint.getScheme().equals("https");
    HttpClientOptions options = new HttpClientOptions()
        .setSsl(tls)
        .setConnectTimeout((int) timeout.toMillis())
        .setIdleTimeout((int) Math.max(1, timeout.toSeconds() * 2));
    if (keyCert != null) {
      options.setVerifyHost(true).setKeyCertOptions(keyCert).setTrustOptions(trust);
    }
    this.http = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(8));
  }

  /** What registration answers. */
  public record Registration(String gatewayId, String gatewayArn, String token, long heartbeatSeconds, long leaseSeconds) {
  }

  /** Registers a gateway for the account whose key signs the call, and from then on uses its token. */
  public Future<Registration> register(String name, String softwareVersion, String accessKeyId, String secretAccessKey) {
    byte[] body = new JsonObject().put("name", name).put("softwareVersion", softwareVersion).encode().getBytes(StandardCharsets.UTF_8);
    URI uri = URI.create(endpoint.toString().replaceAll("/+$", "") + PREFIX + "/gateways");
    SignedRequest signed;
    try {
      signed = AwsV4HttpSigner.create().sign(r -> r
          .identity(AwsCredentialsIdentity.create(accessKeyId, secretAccessKey))
          .request(SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(uri).putHeader("Content-Type", "application/json").build())
          .payload(ContentStreamProvider.fromByteArray(body))
          .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "backup")
          .putProperty(AwsV4HttpSigner.REGION_NAME, region));
    } catch (RuntimeException e) {
      return Future.failedFuture(new CoordinatorException("cannot sign the registration of gateway '" + name + "': " + e.getMessage(), 0, null, e));
    }
    RequestOptions options = requestOptions("/gateways");
    signed.request().headers().forEach((header, values) -> {
      if (!TRANSPORT_HEADERS.contains(header.toLowerCase(Locale.ROOT))) {
        values.forEach(v -> options.addHeader(header, v));
      }
    });
    return send("register gateway '" + name + "'", options, Buffer.buffer(body)).map(j -> {
      Registration reg = new Registration(j.getString("gatewayId"), j.getString("gatewayArn"), j.getString("token"),
          j.getLong("heartbeatSeconds", 30L), j.getLong("leaseSeconds", 300L));
      token = reg.token();
      return reg;
    });
  }

  /** Uses a token from an earlier registration. */
  public CoordinatorClient withToken(String token) {
    this.token = token;
    return this;
  }

  public boolean registered() {
    return token != null || byCertificate;
  }

  /** POSTs {@code body} to {@code PREFIX + path} with the bearer token; the answer's JSON. */
  public Future<JsonObject> post(String path, JsonObject body) {
    if (!registered()) {
      return Future.failedFuture(new CoordinatorException("cannot call " + path + ": the gateway is not registered", 0, null, null));
    }
    RequestOptions options = requestOptions(path).putHeader("Content-Type", "application/json");
    if (token != null) {
      options.putHeader("Authorization", "Bearer " + token);
    }
    return send("POST " + path, options, body.toBuffer());
  }

  private RequestOptions requestOptions(String path) {
    int port = endpoint.getPort() > 0 ? endpoint.getPort() : endpoint.getScheme().equals("https") ? 443 : 80;
    String base = endpoint.getRawPath() == null ? "" : endpoint.getRawPath().replaceAll("/+$", "");
    return new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setHost(endpoint.getHost())
        .setPort(port)
        .setURI(base + PREFIX + path)
        .setTimeout(timeout.toMillis());
  }

  private Future<JsonObject> send(String what, RequestOptions options, Buffer body) {
    return http.request(options)
        .compose(req -> req.send(body))
        .compose(resp -> resp.body().map(b -> answer(what, resp.statusCode(), b)))
        .recover(e -> Future.failedFuture(e instanceof CoordinatorException ? e
            : new CoordinatorException("cannot " + what + " at coordinator " + endpoint + ": " + describe(e), 0, null, e)));
  }

  private JsonObject answer(String what, int status, Buffer body) {
    JsonObject json;
    try {
      json = body.length() == 0 ? new JsonObject() : body.toJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw new CoordinatorException("cannot " + what + ": coordinator " + endpoint + " answered " + status + " with a body that is not JSON",
          status, null, null);
    }
    if (status / 100 != 2) {
      String type = json.getString("error");
      throw new CoordinatorException("cannot " + what + ": coordinator answered " + status + " " + type + ": " + json.getString("message"),
          status, type, null);
    }
    return json;
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  public Future<Void> close() {
    return http.close();
  }
}
