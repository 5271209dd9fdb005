package dev.vaultgate.agent.gateway;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a leased backup job of a {@link LocalResources} resource: keeps the lease, completes or fails the job. */
final class LocalBackupJobRunner {
  private static final Logger LOG = LoggerFactory.getLogger(LocalBackupJobRunner.class);

  private final GatewayAgent agent;
  private final JsonObject job;
  private final LocalResources local;
  private final String jobId;
  private final JobLease lease;

  LocalBackupJobRunner(GatewayAgent agent, JsonObject job, LocalResources local) {
    this.agent = agent;
    this.job = job;
    this.local = local;
    this.jobId = job.getString("jobId");
    long leaseSeconds = agent.config().leaseSeconds();
    this.lease = new JobLease(agent, "backup-jobs", jobId, leaseSeconds,
        Duration.ofMillis(Math.min(leaseSeconds * 1000 / 3, 5_000)));
  }

  Future<JsonObject> run() {
    String location = agent.vaultLocation(job, "vaultLocation");
    if (location == null) {
      return lease.fail("backup job " + jobId + ": no vault location (the job names none and the gateway has no default)");
    }
    Future<JsonObject> done;
    try {
      done = local.backup(job, location, new LocalResources.Progress() {
        @Override
        public void report(double percent, long bytesDone) {
          lease.progress(Math.min(99.0, percent), bytesDone);
        }

        @Override
        public boolean shouldStop() {
          return lease.shouldStop();
        }
      });
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    return done
        .compose(body -> {
          LOG.info("backup job {}: {} backed up", jobId, job.getString("resourceArn"));
          return lease.complete(body);
        })
        .recover(e -> {
          String message = lease.shouldStop() ? lease.stopReason() + "; " + e.getMessage() : String.valueOf(e.getMessage());
          LOG.warn("backup job {} failed: {}", jobId, message);
          return lease.fail(message);
        });
  }
}
