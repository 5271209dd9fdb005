package dev.vaultgate.vault.storage;

import dev.vaultgate.vault.devtools.LocalS3Server;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The storage contract on S3 (S3VaultStorage behind the retrying decorator, as vaults open it): s3proxy in this
 * JVM with its filesystem blobstore (what scripts run), and what only S3 can get wrong: a missing bucket, refused credentials, a server that is down.
 */
class S3VaultStorageTest extends VaultStorageContractTest {
  private static final String ACCESS_KEY = "contract-access";
  private static final String SECRET_KEY = "contract-secret";
  private static final AtomicInteger buckets = new AtomicInteger();

  @TempDir
  static Path dataDir;
  static LocalS3Server server;

  @BeforeAll
  static void startServer() throws Exception {
    server = LocalS3Server.start(dataDir, "127.0.0.1", 0, ACCESS_KEY, SECRET_KEY);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Override
  protected VaultStorage newStorage(Vertx vertx) {
    String bucket = "contract-" + buckets.incrementAndGet();
    server.createBucket(bucket);
    // As every vault uses it: behind RetryingVaultStorage, since the SDK does not retry and a server may close
    // a kept-alive connection as a request goes out (seen with s3proxy under load, and with RGW).
    return new RetryingVaultStorage(vertx, new S3VaultStorage(vertx, client(server.endpoint(), SECRET_KEY), bucket,
        "vaults/prod"), 4, java.time.Duration.ofMillis(20));
  }

  private static S3AsyncClient client(URI endpoint, String secretKey) {
    return S3VaultStorage.newClient(endpoint, Region.US_EAST_1,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, secretKey)));
  }

  @Test
  void describeNamesBucketAndPrefix() {
    assertTrue(storage.describe().matches("s3://contract-\\d+/vaults/prod"), storage.describe());
  }

  @Test
  void missingBucketFailsAsUnavailableNamingTheBucket(Vertx vertx, VertxTestContext ctx) {
    S3VaultStorage nowhere = new S3VaultStorage(vertx, client(server.endpoint(), SECRET_KEY), "no-such-bucket", "");
    expectFailure(ctx, nowhere.put("config", new byte[1]).eventually(() -> closing(nowhere)), error -> {
      StorageUnavailableException e = assertInstanceOf(StorageUnavailableException.class, error);
      assertEquals("cannot write config to s3://no-such-bucket: bucket no-such-bucket does not exist at "
          + server.endpoint(), e.getMessage());
    });
  }

  @Test
  void statInAMissingBucketFailsAsUnavailableNotAsMissingObject(Vertx vertx, VertxTestContext ctx) {
    S3VaultStorage nowhere = new S3VaultStorage(vertx, client(server.endpoint(), SECRET_KEY), "no-such-bucket", "v");
    expectFailure(ctx, nowhere.stat("config").eventually(() -> closing(nowhere)), error -> {
      StorageUnavailableException e = assertInstanceOf(StorageUnavailableException.class, error);
      assertTrue(e.getMessage().contains("bucket no-such-bucket does not exist"), e.getMessage());
    });
  }

  @Test
  void wrongSecretKeyFailsAsUnavailableNamingCredentials(Vertx vertx, VertxTestContext ctx) {
    server.createBucket("locked");
    S3VaultStorage locked = new S3VaultStorage(vertx, client(server.endpoint(), "wrong-secret"), "locked", "v");
    expectFailure(ctx, locked.get("config").eventually(() -> closing(locked)), error -> {
      StorageUnavailableException e = assertInstanceOf(StorageUnavailableException.class, error);
      assertFalse(e.isRetryable());
      assertTrue(e.getMessage().startsWith("cannot read config from s3://locked/v: credentials refused by "
          + server.endpoint() + " for bucket locked: "), e.getMessage());
    });
  }

  @Test
  void serverDownFailsRetryably(Vertx vertx, VertxTestContext ctx) {
    // Port 9 (discard) is closed on test machines: the connection is refused at once.
    URI down = URI.create("http://127.0.0.1:9");
    S3VaultStorage unreachable = new S3VaultStorage(vertx, client(down, SECRET_KEY), "any", "v");
    expectFailure(ctx, unreachable.get(PACK_KEY).eventually(() -> closing(unreachable)), error -> {
      VaultStorageException e = assertInstanceOf(VaultStorageException.class, error);
      assertTrue(e.isRetryable(), e.getMessage());
      assertTrue(e.getMessage().startsWith("cannot read " + PACK_KEY + " from s3://any/v: "), e.getMessage());
    });
  }

  private static io.vertx.core.Future<Void> closing(VaultStorage storage) {
    storage.close();
    return io.vertx.core.Future.succeededFuture();
  }
}
