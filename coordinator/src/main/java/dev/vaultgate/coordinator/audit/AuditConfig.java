package dev.vaultgate.coordinator.audit;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * Where and how often the activity log is sealed.
 *
 * @param digestLocation the coordinator's {@code auditDigestLocation}: {@code
 *     s3://bucket[/prefix][?endpoint=http://host:port&region=r]}, or null for no digests
 * @param digestInterval how often a digest is written (zero: only on demand)
 * @param digestRetention how long a digest is kept under Object Lock (COMPLIANCE) when the bucket has it
 */
public record AuditConfig(String digestLocation, Duration digestInterval, Duration digestRetention) {

  public static final Duration DEFAULT_INTERVAL = Duration.ofHours(1);
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(365);
  public static final AuditConfig NONE = new AuditConfig(null, DEFAULT_INTERVAL, DEFAULT_RETENTION);

  public AuditConfig {
    if (digestLocation != null) S3Location.parse(digestLocation);
    if (digestInterval.isNegative()) {
      throw new IllegalArgumentException("--audit-digest-minutes " + digestInterval.toMinutes()
          + ": expected zero (on demand) or more");
    }
    if (digestRetention.isNegative() || digestRetention.isZero()) {
      throw new IllegalArgumentException("--audit-digest-retention-days " + digestRetention.toDays()
          + ": expected 1 or more");
    }
  }

  /** A parsed {@code s3://} URL. */
  public record S3Location(String bucket, String prefix, Optional<URI> endpoint, String region) {

    public static S3Location parse(String url) {
      if (url == null || !url.startsWith("s3://")) {
        throw new IllegalArgumentException("audit digest location " + url
            + ": expected s3://bucket[/prefix][?endpoint=http://host:port&region=us-east-1]");
      }
      String rest = url.substring(5);
      String query = "";
      int q = rest.indexOf('?');
      if (q >= 0) {
        query = rest.substring(q + 1);
        rest = rest.substring(0, q);
      }
      int slash = rest.indexOf('/');
      String bucket = slash < 0 ? rest : rest.substring(0, slash);
      String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("^/+|/+$", "");
      if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
        throw new IllegalArgumentException("audit digest location " + url + ": '" + bucket + "' is no bucket name");
      }
      URI endpoint = null;
      String region = "us-east-1";
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) continue;
        int eq = pair.indexOf('=');
        String k = eq < 0 ? pair : pair.substring(0, eq);
        String v = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
        switch (k) {
          case "endpoint" -> endpoint = URI.create(v);
          case "region" -> region = v;
          default -> throw new IllegalArgumentException("audit digest location " + url + ": unknown parameter '" + k
              + "' (expected endpoint, region)");
        }
      }
      return new S3Location(bucket, prefix, Optional.ofNullable(endpoint), region);
    }

    public String key(String name) {
      return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    @Override
    public String toString() {
      return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
  }
}
