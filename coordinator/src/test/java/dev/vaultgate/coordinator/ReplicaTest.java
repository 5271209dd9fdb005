package dev.vaultgate.coordinator;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.vaultgate.coordinator.db.SchemaMigrator;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupAsyncClient;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.AlreadyExistsException;

/**
 * Coordinators are stateless replicas: two on one database migrate it once, serve the same
 * state, and a name contested between them goes to exactly one request.
 */
class ReplicaTest {

  static TestCoordinator env;
  static Coordinator second;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    String url = env.coordinator.embeddedDatabaseUrl().orElseThrow();
    second = await(Coordinator.start(env.vertx, config(url), Map.of(), Clock.systemUTC()));
  }

  @AfterAll
  static void stop() {
    await(second.close());
  }

  static CoordinatorConfig config(String databaseUrl) {
    Path data = Path.of("target", "test-data", "replica-" + UUID.randomUUID()).toAbsolutePath();
    return new CoordinatorConfig("127.0.0.1", 0, data, databaseUrl, "us-east-1", "000000000000", 2, 1 << 20,
        java.time.Duration.ZERO);
  }

  static URI endpoint(Coordinator c) {
    return URI.create("http://127.0.0.1:" + c.port());
  }

  @Test
  void whatOneReplicaWritesTheOtherServes() {
    String name = unique("replicated");
    try (BackupClient first = env.client(); BackupClient other = TestCoordinator.client(endpoint(second), env.admin())) {
      first.createBackupVault(r -> r.backupVaultName(name));
      assertEquals(name, other.describeBackupVault(r -> r.backupVaultName(name)).backupVaultName());
      other.deleteBackupVault(r -> r.backupVaultName(name));
      assertEquals(0, first.listBackupVaults(r -> { }).backupVaultList().stream()
          .filter(v -> v.backupVaultName().equals(name)).count());
    }
  }

  @Test
  void aNameContestedAcrossReplicasGoesToExactlyOneRequest() {
    String name = unique("contested");
    List<CompletableFuture<?>> calls = new ArrayList<>();
    try (BackupAsyncClient a = env.asyncClient(env.admin()); BackupAsyncClient b = TestCoordinator.asyncClient(endpoint(second), env.admin())) {
      for (int i = 0; i < 10; i++) {
        BackupAsyncClient client = i % 2 == 0 ? a : b;
        String token = "req-" + i; // distinct requests, not retries of one
        calls.add(client.createBackupVault(r -> r.backupVaultName(name).creatorRequestId(token)));
      }
      int won = 0;
      for (CompletableFuture<?> call : calls) {
        try {
          call.join();
          won++;
        } catch (CompletionException e) {
          assertInstanceOf(AlreadyExistsException.class, e.getCause());
        }
      }
      assertEquals(1, won);
    }
  }

  @Test
  void replicasStartingTogetherOnAFreshDatabaseMigrateItOnce() {
    String db = "fresh_" + UUID.randomUUID().toString().replace("-", "");
    await(env.coordinator.pool().query("CREATE DATABASE " + db).execute());
    String url = env.coordinator.embeddedDatabaseUrl().orElseThrow().replaceFirst("/postgres$", "/" + db);
    List<Future<Coordinator>> starting = List.of(
        Coordinator.start(env.vertx, config(url), Map.of(), Clock.systemUTC()),
        Coordinator.start(env.vertx, config(url), Map.of(), Clock.systemUTC()),
        Coordinator.start(env.vertx, config(url), Map.of(), Clock.systemUTC()));
    List<Coordinator> started = new ArrayList<>();
    for (Future<Coordinator> f : starting) started.add(await(f));
    try {
      List<Integer> versions = new ArrayList<>();
      for (Row row : await(started.get(0).pool().query("SELECT version FROM schema_version ORDER BY version").execute())) {
        versions.add(row.getInteger(0));
      }
      assertEquals(SchemaMigrator.fromClasspath().versions(), versions);
    } finally {
      for (Coordinator c : started) await(c.close());
    }
  }
}
