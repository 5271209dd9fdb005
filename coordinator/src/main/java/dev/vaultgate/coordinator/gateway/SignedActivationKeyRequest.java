package dev.vaultgate.coordinator.gateway;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.auth.AdminCredentials;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * {@code gateways activation-key --endpoint}: asks a running coordinator for a key with the SigV4-signed {@code POST
 * /agent/v1/activation-keys}, signed by the AWS SDK's own signer with the admin key of a shared-credentials file.
 * Blocking: a command-line call, not the event loop's.
 */
final class SignedActivationKeyRequest {
  /** Headers java.net.http sets itself and refuses from callers. */
  private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");

  private SignedActivationKeyRequest() {
  }

  static PgActivationKeyStore.Issued issue(URI endpoint, Path credentials, String region, String name, Duration lifetime)
      throws IOException, InterruptedException {
    AccessKey key = AdminCredentials.read(credentials, "unknown").orElseThrow(() -> new IllegalArgumentException(
        "--credentials " + credentials + ": no [" + AdminCredentials.PROFILE + "] profile with a key"));
    JsonObject body = new JsonObject().put("expiresInSeconds", lifetime.toSeconds());
    if (name != null) body.put("name", name);
    String text = body.encode();
    URI uri = URI.create(endpoint.toString().replaceAll("/+$", "") + "/agent/v1/activation-keys");
    SdkHttpRequest unsigned = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(uri)
        .putHeader("Content-Type", "application/json").build();
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
        .identity(AwsCredentialsIdentity.create(key.accessKeyId(), key.secretAccessKey()))
        .request(unsigned)
        .payload(ContentStreamProvider.fromUtf8String(text))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "backup")
        .putProperty(AwsV4HttpSigner.REGION_NAME, region));
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8));
    for (Map.Entry<String, List<String>> h : signed.request().headers().entrySet()) {
      if (RESTRICTED.contains(h.getKey().toLowerCase(Locale.ROOT))) continue;
      for (String v : h.getValue()) request.header(h.getKey(), v);
    }
    HttpResponse<String> response;
    try {
      response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build()
          .send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IOException("cannot reach coordinator " + endpoint + ": " + e.getMessage(), e);
    }
    JsonObject answer;
    try {
      answer = new JsonObject(response.body());
    } catch (DecodeException e) {
      throw new IOException("coordinator " + endpoint + " answered HTTP " + response.statusCode() + " and no JSON");
    }
    if (response.statusCode() != 201) {
      throw new IOException("coordinator " + endpoint + " refused (" + response.statusCode() + " "
          + answer.getString("error", "") + "): " + answer.getString("message", ""));
    }
    return new PgActivationKeyStore.Issued(answer.getString("activationKey"), answer.getString("accountId"),
        answer.getString("name"), Instant.parse(answer.getString("expiresAt")));
  }
}
