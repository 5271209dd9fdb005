package dev.vaultgate.coordinator.testing;

import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.auth.AccessKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.backup.BackupAsyncClient;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * One coordinator for the whole test run, on a random loopback port with its own embedded
 * PostgreSQL (started once: it takes seconds), and the real AWS SDK clients pointed at it.
 */
public final class TestCoordinator {

  private static TestCoordinator shared;

  public final Vertx vertx;
  public final Coordinator coordinator;

  private TestCoordinator(Vertx vertx, Coordinator coordinator) {
    this.vertx = vertx;
    this.coordinator = coordinator;
  }

  public static synchronized TestCoordinator get() {
    if (shared == null) {
      if (System.getProperty("ot.epg.working-dir") == null) {
        System.setProperty("ot.epg.working-dir", Path.of("target", "epg").toAbsolutePath().toString());
      }
      Path data = Path.of("target", "test-data", "coordinator-" + UUID.randomUUID()).toAbsolutePath();
      Vertx vertx = Vertx.vertx();
      // no notification delivery here: the endpoints tests subscribe are not real (NotificationDeliveryTest has its own)
      Coordinator c = await(Coordinator.start(vertx, CoordinatorConfig.forTests(data),
          Map.of("VAULTGATE_NOTIFY_POLL_MS", "0"), Clock.systemUTC()));
      shared = new TestCoordinator(vertx, c);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          c.close().eventually(vertx::close).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
          // the JVM is going away anyway
        }
      }));
    }
    return shared;
  }

  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.getCause() == null ? e : e.getCause());
    }
  }

  /** Waits for a future; true when it succeeded, false when it failed. */
  public static boolean awaitOutcome(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      return true;
    } catch (java.util.concurrent.ExecutionException e) {
      return false;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + coordinator.port());
  }

  public AccessKey admin() {
    return coordinator.adminKey();
  }

  /** A key of a fresh account, for isolation tests. */
  public AccessKey newAccount() {
    String account = String.format("%012d", Math.abs(UUID.randomUUID().getMostSignificantBits()) % 1_000_000_000_000L);
    return await(coordinator.accessKeys().issue(account));
  }

  public BackupClient client(AccessKey key) {
    return client(endpoint(), key);
  }

  /** A sync client of another coordinator (a replica). */
  public static BackupClient client(URI endpoint, AccessKey key) {
    return BackupClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  /** The real backup-gateway SDK client (2.20.0) for the key's account. */
  public BackupGatewayClient gatewayClient(AccessKey key) {
    return syncClient(BackupGatewayClient.builder(), endpoint(), key);
  }

  /** The real SDK's KMS client (the BOM's version) for the key's account: the coordinator's KMS API. */
  public software.amazon.awssdk.services.kms.KmsClient kmsClient(AccessKey key) {
    return syncClient(software.amazon.awssdk.services.kms.KmsClient.builder(), endpoint(), key);
  }

  /** The real SDK's SNS client against a coordinator: the topics vault notifications go to. */
  public static SnsClient sns(URI endpoint, AccessKey key) {
    return syncClient(SnsClient.builder(), endpoint, key);
  }

  private static <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, C>
      & software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder<B, C>, C> C syncClient(
      B builder, URI endpoint, AccessKey key) {
    return builder
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  public BackupClient client() {
    return client(admin());
  }

  public BackupAsyncClient asyncClient(AccessKey key) {
    return asyncClient(endpoint(), key);
  }

  /** An async client of another coordinator (a replica). */
  public static BackupAsyncClient asyncClient(URI endpoint, AccessKey key) {
    return BackupAsyncClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .httpClientBuilder(NettyNioAsyncHttpClient.builder())
        .build();
  }

  /** A name no other test uses. */
  public static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
