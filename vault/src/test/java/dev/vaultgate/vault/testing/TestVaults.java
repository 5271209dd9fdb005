package dev.vaultgate.vault.testing;

import dev.vaultgate.vault.devtools.LocalS3Server;
import dev.vaultgate.vault.storage.S3VaultStorage;
import io.vertx.core.Vertx;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One in-memory S3 server per test JVM, started on first use and stopped when the JVM ends, and fresh empty
 * vaults on it. Starting s3proxy takes about a second, so test classes share it and isolate by bucket.
 */
public final class TestVaults {
  public static final String ACCESS_KEY = "vaultgate-test";
  public static final String SECRET_KEY = "vaultgate-test-secret";
  public static final Region REGION = Region.US_EAST_1;

  private static final AtomicInteger buckets = new AtomicInteger();
  private static LocalS3Server server;

  private TestVaults() {
  }

  /** The shared server, started if needed. */
  public static synchronized LocalS3Server s3Server() {
    if (server == null) {
      try {
        server = LocalS3Server.startInMemory(ACCESS_KEY, SECRET_KEY);
      } catch (Exception e) {
        throw new IllegalStateException("cannot start the test S3 server: " + e, e);
      }
      LocalS3Server started = server;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          started.close();
        } catch (RuntimeException ignored) {
          // the JVM is ending
        }
      }, "test-s3-shutdown"));
    }
    return server;
  }

  /** A new bucket on the shared server, named {@code test-N}. */
  public static String newBucket() {
    String bucket = "test-" + buckets.incrementAndGet();
    s3Server().createBucket(bucket);
    return bucket;
  }

  /** A client for the shared server, configured as the vault configures its own; the caller closes it. */
  public static S3AsyncClient s3Client(String secretKey) {
    return S3VaultStorage.newClient(s3Server().endpoint(), REGION,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, secretKey)));
  }

  /** An empty vault under {@code vault/} of a new bucket on the shared server. */
  public static S3VaultStorage newS3Storage(Vertx vertx) {
    return new S3VaultStorage(vertx, s3Client(SECRET_KEY), newBucket(), "vault");
  }
}
