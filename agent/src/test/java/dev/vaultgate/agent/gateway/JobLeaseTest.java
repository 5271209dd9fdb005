package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job's outcome when the coordinator cannot be reached: its lease talks to a loopback port nothing listens on (a
 * coordinator that is away), and journals on a real directory.
 */
class JobLeaseTest {
  @TempDir
  Path state;
  private Vertx vertx;
  private JobJournal journal;
  private CoordinatorClient away;

  @BeforeEach
  void start() throws IOException {
    vertx = Vertx.vertx();
    journal = new JobJournal(vertx, state);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: connections to it are refused
    }
    away = new CoordinatorClient(vertx, URI.create("http://127.0.0.1:" + port), "us-east-1", Duration.ofSeconds(2))
        .withToken("token");
  }

  @AfterEach
  void stop() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private JobLease lease(JsonObject job) {
    await(vertx, () -> journal.leased(job));
    return new JobLease(vertx, away, "backup-jobs", job.getString("jobId"), 1, Duration.ofHours(1), job, journal,
        JobObserver.Job.NONE);
  }

  /**
   * The runners fail a job whose completion could not be reported (it is one future); the gateway restarted under a
   * running report the same way ("Client is closed"). Either way the job had done its work: the completion stays
   * queued, and is what the agent reports when the coordinator is back, not a failure.
   */
  @Test
  void aCompletionTheCoordinatorDidNotTakeStaysQueuedWhenTheJobIsThenFailed() {
    JsonObject job = new JsonObject().put("jobId", "job-1").put("kind", "BACKUP");
    JobLease lease = lease(job);
    JsonObject body = new JsonObject().put("backupSizeInBytes", 42);

    Throwable notReported = failure(vertx, () -> lease.complete(body));
    assertTrue(notReported instanceof CoordinatorException c && c.isRetryable(), String.valueOf(notReported));
    Throwable failed = failure(vertx, () -> lease.fail("Client is closed"));

    List<JobJournal.Entry> queued = await(vertx, journal::entries);
    assertEquals(1, queued.size());
    assertEquals("complete", queued.get(0).outcome().getString("call"));
    assertEquals(body, queued.get(0).outcome().getJsonObject("body"));
    assertEquals("Client is closed", failed.getMessage(), "the job ends with its cause, nothing reported");
  }

  @Test
  void aFailureTheCoordinatorDidNotTakeIsQueuedAsAFailure() {
    JsonObject job = new JsonObject().put("jobId", "job-2").put("kind", "BACKUP");
    JobLease lease = lease(job);

    failure(vertx, () -> lease.fail("cannot read disk 0: Input/output error"));

    List<JobJournal.Entry> queued = await(vertx, journal::entries);
    assertEquals(1, queued.size());
    assertEquals("fail", queued.get(0).outcome().getString("call"));
    assertEquals("cannot read disk 0: Input/output error", queued.get(0).outcome().getJsonObject("body").getString("message"));
  }
}
