package dev.vaultgate.coordinator;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.backup.BackupJob;
import dev.vaultgate.coordinator.backup.PgBackupJobStore;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two coordinators on one database and many gateways racing for work: every job is leased
 * exactly once, whichever replica a gateway asks.
 */
class AgentLeaseReplicaTest {

  static final int JOBS = 300;
  static final int GATEWAYS = 8;
  static final int CONCURRENT_LEASES = 2 * JOBS;
  static final int IN_FLIGHT = 150;

  static TestCoordinator env;
  static Coordinator second;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    second = await(Coordinator.start(env.vertx,
        ReplicaTest.config(env.coordinator.embeddedDatabaseUrl().orElseThrow()), Map.of(), Clock.systemUTC()));
  }

  @AfterAll
  static void stop() {
    await(second.close());
  }

  @Test
  void manyGatewaysLeasingThroughTwoReplicasNeverGetOneJobTwice() {
    AccessKey key = env.newAccount();
    String account = key.accountId();
    PgBackupJobStore jobs = new PgBackupJobStore(env.coordinator.pool());
    Instant now = Instant.now();
    List<Future<BackupJob>> created = new ArrayList<>();
    for (int i = 0; i < JOBS; i++) {
      String id = UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
      created.add(jobs.create(new BackupJob(id, account, "v", "arn:aws:backup:us-east-1:" + account + ":backup-vault:v",
          "arn:aws:backup:us-east-1:" + account + ":recovery-point:" + id,
          "arn:aws:backup-gateway:us-east-1:" + account + ":vm/vm-" + i, "VirtualMachine", "role", "CREATED", null,
          "0.0", null, null, now.plusMillis(i), now.plus(Duration.ofHours(8)), 600, null, null, null, null, null, null,
          null)));
    }
    await(Future.all(created));

    List<AgentClient> gateways = new ArrayList<>();
    for (int g = 0; g < GATEWAYS; g++) {
      AgentClient gw = AgentClient.register(env.endpoint(), key, "site-" + g);
      gateways.add(g % 2 == 0 ? gw : gw.via(ReplicaTest.endpoint(second)));
    }

    List<CompletableFuture<AgentClient.Reply>> calls = new ArrayList<>();
    List<String> caller = new ArrayList<>();
    for (int i = 0; i < CONCURRENT_LEASES; i++) {
      if (i % IN_FLIGHT == 0) CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).join();
      AgentClient gw = gateways.get(i % GATEWAYS);
      // half of each gateway's calls go to the other replica
      AgentClient via = (i / GATEWAYS) % 2 == 0 ? gw : gw.via(i % 2 == 0 ? ReplicaTest.endpoint(second) : env.endpoint());
      calls.add(via.postAsync("/backup-jobs/lease", new JsonObject()));
      caller.add(gw.gatewayId);
    }
    Map<String, String> leasedTo = new HashMap<>();
    int leases = 0;
    for (int i = 0; i < calls.size(); i++) {
      AgentClient.Reply r = calls.get(i).join();
      assertEquals(200, r.status(), r.body().encode());
      JsonObject job = r.body().getJsonObject("job");
      if (job == null) continue;
      leases++;
      String previous = leasedTo.put(job.getString("jobId"), caller.get(i));
      assertEquals(null, previous, "job " + job.getString("jobId") + " leased twice");
    }
    // under contention a lease may answer "nothing" while rows are locked by others: drain the rest
    for (AgentClient.Reply r = gateways.get(0).lease(); r.body().containsKey("job"); r = gateways.get(0).lease()) {
      leases++;
      assertEquals(null, leasedTo.put(r.body().getJsonObject("job").getString("jobId"), gateways.get(0).gatewayId));
    }
    assertEquals(JOBS, leases);
    assertEquals(JOBS, leasedTo.size());

    int checked = 0;
    for (Row row : await(env.coordinator.pool()
        .preparedQuery("SELECT job_id, state, lease_owner FROM backup_jobs WHERE account_id = $1")
        .execute(Tuple.of(account)))) {
      assertEquals("RUNNING", row.getString("state"));
      assertEquals(leasedTo.get(row.getString("job_id")), row.getString("lease_owner"));
      checked++;
    }
    assertEquals(JOBS, checked);
    assertTrue(leasedTo.values().stream().distinct().count() > 1, "the work spread over several gateways");
  }
}
