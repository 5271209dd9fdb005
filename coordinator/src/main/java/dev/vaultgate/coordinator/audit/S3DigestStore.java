package dev.vaultgate.coordinator.audit;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ObjectLockEnabled;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Digest objects in an S3 bucket. When the bucket has Object Lock enabled (AWS, Ceph RGW) every
 * digest is written with COMPLIANCE retention, so nobody, the coordinator included, can delete or
 * overwrite it before it expires; on a bucket without it (s3proxy, MinIO without locking) digests
 * are plain objects and {@link #objectLock()} says so.
 */
public final class S3DigestStore implements AutoCloseable {

  private final S3AsyncClient s3;
  private final AuditConfig.S3Location location;
  private final Duration retention;
  private Boolean objectLock;

  public S3DigestStore(S3AsyncClient s3, AuditConfig.S3Location location, Duration retention) {
    this.s3 = s3;
    this.location = location;
    this.retention = retention;
  }

  public static S3AsyncClient newClient(AuditConfig.S3Location location, AwsCredentialsProvider credentials) {
    var builder = S3AsyncClient.builder()
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(8))
        .region(Region.of(location.region()))
        .credentialsProvider(credentials)
        .forcePathStyle(true)
        // RGW rejects the SDK's newer default checksums (FACTS.md); Object Lock PUTs carry Content-MD5
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    location.endpoint().ifPresent(builder::endpointOverride);
    return builder.build();
  }

  public AuditConfig.S3Location location() {
    return location;
  }

  /** Whether the bucket has Object Lock (asked once); a server that does not implement it has not. */
  public Future<Boolean> objectLock(Context context) {
    if (objectLock != null) return Future.succeededFuture(objectLock);
    return Future.fromCompletionStage(s3.getObjectLockConfiguration(r -> r.bucket(location.bucket()))
            .handle((r, e) -> e == null && r.objectLockConfiguration() != null
                && r.objectLockConfiguration().objectLockEnabled() == ObjectLockEnabled.ENABLED), context)
        .map(enabled -> objectLock = enabled);
  }

  /** Writes a digest; under retention until {@code now + retention} when the bucket locks. */
  public Future<Void> put(Context context, String name, byte[] bytes, Instant now) {
    return objectLock(context).compose(locked -> {
      PutObjectRequest.Builder req = PutObjectRequest.builder().bucket(location.bucket()).key(location.key(name))
          .contentType("application/json");
      if (locked) {
        req.objectLockMode(ObjectLockMode.COMPLIANCE).objectLockRetainUntilDate(now.plus(retention))
            .contentMD5(md5(bytes));
      }
      return Future.fromCompletionStage(s3.putObject(req.build(), AsyncRequestBody.fromBytes(bytes)), context);
    }).recover(e -> Future.failedFuture(new IllegalStateException("cannot write audit digest " + name + " to "
        + location + ": " + rootMessage(e), e))).mapEmpty();
  }

  /** Every digest under the location, in seq order (their names sort so). */
  public Future<List<DigestChecks.StoredDigest>> readAll(Context context) {
    String prefix = location.key("digests/");
    return listKeys(context, prefix)
        .compose(keys -> {
          List<Future<DigestChecks.StoredDigest>> reads = new ArrayList<>();
          for (String key : keys) {
            reads.add(Future.fromCompletionStage(s3.getObject(r -> r.bucket(location.bucket()).key(key),
                AsyncResponseTransformer.toBytes()), context)
                .map(bytes -> new DigestChecks.StoredDigest(key, bytes.asByteArray())));
          }
          return Future.all(reads).map(all -> {
            List<DigestChecks.StoredDigest> out = new ArrayList<>();
            for (int i = 0; i < reads.size(); i++) out.add(all.resultAt(i));
            return out;
          });
        })
        .recover(e -> Future.failedFuture(new IllegalStateException("cannot read audit digests from " + location
            + ": " + rootMessage(e), e)));
  }

  private Future<List<String>> listKeys(Context context, String prefix) {
    List<String> keys = new ArrayList<>();
    return Future.fromCompletionStage(s3.listObjectsV2Paginator(r -> r.bucket(location.bucket()).prefix(prefix))
        .contents().subscribe(o -> keys.add(o.key())), context).map(v -> {
          keys.sort(null);
          return keys;
        });
  }

  private static String md5(byte[] bytes) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return String.valueOf(t.getMessage());
  }

  @Override
  public void close() {
    s3.close();
  }
}
