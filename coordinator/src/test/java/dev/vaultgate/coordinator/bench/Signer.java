package dev.vaultgate.coordinator.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * SigV4 with the AWS SDK's own signer (the one {@code testing.SignedHttp} uses), so the load is
 * what an SDK client sends: every request is signed afresh, with the current time.
 */
final class Signer {

  /** A signed request ready to send: the encoded path and query, headers to set, body. */
  record Signed(String pathAndQuery, List<Map.Entry<String, String>> headers, byte[] body) {}

  private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
  private final AwsCredentialsIdentity identity;
  private final String region;
  private final String host;
  private final int port;

  Signer(String accessKeyId, String secretAccessKey, String region, String host, int port) {
    this.identity = AwsCredentialsIdentity.create(accessKeyId, secretAccessKey);
    this.region = region;
    this.host = host;
    this.port = port;
  }

  /**
   * Signs {@code method path?query} with {@code body} (JSON, or null). {@code query} holds raw
   * (unencoded) names and values in pairs; the SDK encodes them as it signs.
   */
  Signed sign(String method, String encodedPath, String body, String... query) {
    SdkHttpRequest.Builder b = SdkHttpRequest.builder()
        .method(SdkHttpMethod.fromValue(method))
        .protocol("http").host(host).port(port)
        .encodedPath(encodedPath);
    for (int i = 0; i + 1 < query.length; i += 2) {
      if (query[i + 1] != null) b.putRawQueryParameter(query[i], query[i + 1]);
    }
    byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    if (bytes != null) b.putHeader("Content-Type", "application/json");
    SdkHttpRequest unsigned = b.build();
    SignedRequest signed = signer.sign(r -> {
      r.identity(identity)
          .request(unsigned)
          .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "backup")
          .putProperty(AwsV4HttpSigner.REGION_NAME, region);
      if (bytes != null) r.payload(ContentStreamProvider.fromByteArray(bytes));
    });
    SdkHttpRequest out = signed.request();
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    out.forEachHeader((name, values) -> {
      String lower = name.toLowerCase();
      if (!lower.equals("content-length")) values.forEach(v -> headers.add(Map.entry(name, v)));
    });
    String uri = out.getUri().getRawPath();
    String rawQuery = out.getUri().getRawQuery();
    return new Signed(rawQuery == null ? uri : uri + "?" + rawQuery, headers, bytes);
  }
}
