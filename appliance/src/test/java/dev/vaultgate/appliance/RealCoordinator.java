package dev.vaultgate.appliance;

import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.vault.Await;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;

/**
 * A real coordinator for the appliance's tests: embedded PostgreSQL, its API on loopback, its gateway listener
 * (mutual TLS), an account with a key, and the real SDK clients an administrator would use. Its clock can be
 * moved forward (activation keys expire).
 */
public final class RealCoordinator implements AutoCloseable {
  /** The system clock plus an offset the test moves. */
  public static final class MovableClock extends Clock {
    private volatile Duration offset = Duration.ZERO;

    public void advance(Duration d) {
      offset = offset.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset);
    }
  }

  public final Vertx vertx = Vertx.vertx();
  public final MovableClock clock = new MovableClock();
  public final Coordinator coordinator;
  public final int listenerPort;
  public final AccessKey key;

  public RealCoordinator(Path dir, String vaultStorageRoot) {
    if (System.getProperty("ot.epg.working-dir") == null) {
      System.setProperty("ot.epg.working-dir", Path.of("target", "epg").toAbsolutePath().toString());
    }
    Path data = dir.resolve("coordinator-" + UUID.randomUUID());
    coordinator = Await.await(vertx, () -> Coordinator.start(vertx,
        CoordinatorConfig.forTests(data).withStorage(vaultStorageRoot, null), Map.of(), clock), Duration.ofMinutes(3));
    listenerPort = Await.await(vertx, () -> coordinator.startGatewayListener(0));
    String account = String.format("%012d", Math.abs(UUID.randomUUID().getMostSignificantBits()) % 1_000_000_000_000L);
    key = Await.await(vertx, () -> coordinator.accessKeys().issue(account));
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + coordinator.port());
  }

  /** The gateway listener as gateways reach it (the name its self-made certificate covers). */
  public URI gatewayEndpoint() {
    return URI.create("https://localhost:" + listenerPort);
  }

  public BackupGatewayClient gatewayApi() {
    return BackupGatewayClient.builder().endpointOverride(endpoint()).region(Region.US_EAST_1)
        .credentialsProvider(credentials()).httpClientBuilder(Apache5HttpClient.builder()).build();
  }

  public BackupClient backupApi() {
    return BackupClient.builder().endpointOverride(endpoint()).region(Region.US_EAST_1)
        .credentialsProvider(credentials()).httpClientBuilder(Apache5HttpClient.builder()).build();
  }

  private StaticCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey()));
  }

  @Override
  public void close() {
    try {
      Await.await(vertx, coordinator::close, Duration.ofMinutes(1));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
  }
}
