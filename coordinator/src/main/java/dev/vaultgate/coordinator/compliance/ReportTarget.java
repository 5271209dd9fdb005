package dev.vaultgate.coordinator.compliance;

import java.net.URI;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * Where report plans' buckets live: the S3 endpoint in {@code VAULTGATE_REPORT_S3_ENDPOINT}
 * (every report bucket is on it; region {@code VAULTGATE_REPORT_S3_REGION}, us-east-1), with the
 * keys {@code VAULTGATE_REPORT_S3_ACCESS_KEY_ID} / {@code VAULTGATE_REPORT_S3_SECRET_ACCESS_KEY},
 * else {@code AWS_ACCESS_KEY_ID} / {@code AWS_SECRET_ACCESS_KEY}, else the SDK's default chain.
 * Without an endpoint, report plans are refused: there is nowhere to deliver.
 */
public record ReportTarget(URI endpoint, S3AsyncClient s3) {

  public static final ReportTarget NONE = new ReportTarget(null, null);

  public static ReportTarget fromEnvironment(Map<String, String> env) {
    String url = env.get("VAULTGATE_REPORT_S3_ENDPOINT");
    if (url == null || url.isBlank()) return NONE;
    URI endpoint;
    try {
      endpoint = URI.create(url);
      if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme()) || endpoint.getHost() == null) {
        throw new IllegalArgumentException("no http(s) host");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("VAULTGATE_REPORT_S3_ENDPOINT " + url + ": expected http(s)://host[:port]");
    }
    String id = env.getOrDefault("VAULTGATE_REPORT_S3_ACCESS_KEY_ID", env.get("AWS_ACCESS_KEY_ID"));
    String secret = env.getOrDefault("VAULTGATE_REPORT_S3_SECRET_ACCESS_KEY", env.get("AWS_SECRET_ACCESS_KEY"));
    AwsCredentialsProvider credentials = id != null && secret != null
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret))
        : DefaultCredentialsProvider.builder().build();
    S3AsyncClient s3 = S3AsyncClient.builder()
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(8))
        .region(Region.of(env.getOrDefault("VAULTGATE_REPORT_S3_REGION", "us-east-1")))
        .credentialsProvider(credentials)
        .forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .endpointOverride(endpoint)
        .build();
    return new ReportTarget(endpoint, s3);
  }

  public boolean configured() {
    return s3 != null;
  }

  public void close() {
    if (s3 != null) s3.close();
  }
}
