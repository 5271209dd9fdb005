package dev.vaultgate.coordinator.gateway;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.AgentClient.Reply;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.backupgateway.model.ValidationException;

/**
 * Two coordinators on one database sharing one master key, as replicas behind a load balancer: a
 * password sealed by one opens on the other, and TestHypervisorConfiguration waiting on one hears
 * the answer a gateway gave the other.
 */
class GatewayReplicaTest {

  static TestCoordinator env;
  static Coordinator replica;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    Path data = Path.of("target", "test-data", "gateway-replica-" + UUID.randomUUID()).toAbsolutePath();
    replica = await(Coordinator.start(env.vertx, CoordinatorConfig.forTests(data)
        .withDatabase(env.coordinator.embeddedDatabaseUrl().orElseThrow())
        .withStorage(null, env.coordinator.config().masterKeyFile()), Map.of(), Clock.systemUTC()));
  }

  @AfterAll
  static void stop() {
    await(replica.close());
  }

  static URI replicaEndpoint() {
    return URI.create("http://127.0.0.1:" + replica.port());
  }

  @Test
  void aPasswordImportedOnOneReplicaReachesAGatewayHeartbeatingToTheOther() {
    AccessKey key = env.newAccount();
    BackupGatewayClient api = env.gatewayClient(key);
    AgentClient gateway = AgentClient.register(env.endpoint(), key, "site").via(replicaEndpoint());
    String arn = api.importHypervisorConfiguration(r -> r.name("vc").host("vc.example.com").username("admin")
        .password("Replica-pw")).hypervisorArn();
    api.associateGatewayToServer(r -> r.gatewayArn(gatewayArn(key, gateway)).serverArn(arn));
    Reply beat = gateway.post("/heartbeat", new JsonObject());
    assertEquals(200, beat.status(), beat.body().encode());
    assertEquals("Replica-pw", beat.body().getJsonArray("hypervisors").getJsonObject(0).getString("password"));
  }

  @Test
  void aTestWaitingOnOneReplicaHearsTheAnswerGivenToTheOther() throws Exception {
    AccessKey key = env.newAccount();
    BackupGatewayClient api = env.gatewayClient(key);
    AgentClient gateway = AgentClient.register(env.endpoint(), key, "site").via(replicaEndpoint());
    CompletableFuture<Void> answered = CompletableFuture.runAsync(() -> {
      for (int i = 0; i < 50; i++) {
        JsonArray tests = gateway.post("/heartbeat", new JsonObject()).body().getJsonArray("hypervisorTests");
        if (!tests.isEmpty()) {
          gateway.post("/hypervisor-tests/" + tests.getJsonObject(0).getString("testId"),
              new JsonObject().put("ok", false).put("message", "esx.example.com: no route to host"));
          return;
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      throw new IllegalStateException("the replica never handed the test over");
    });
    ValidationException e = assertThrows(ValidationException.class, () -> api.testHypervisorConfiguration(r -> r
        .gatewayArn(gatewayArn(key, gateway)).host("esx.example.com").username("root").password("pw")));
    answered.get(10, TimeUnit.SECONDS);
    assertEquals(true, e.getMessage().contains("no route to host"), e.getMessage());
  }

  static String gatewayArn(AccessKey key, AgentClient gateway) {
    return "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":gateway/" + gateway.gatewayId;
  }
}
