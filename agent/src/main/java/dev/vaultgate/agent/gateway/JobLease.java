package dev.vaultgate.agent.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One leased job's conversation with the coordinator: progress at a fixed interval that also renews the lease,
 * the coordinator's {@code stop} (StopBackupJob) and a lost lease turned into {@link #shouldStop()}, and the final
 * complete or fail, retried while the coordinator is unreachable (a finished job is not lost because the
 * coordinator was away for a minute). Made for an agent, it also journals the job's outcome before reporting it (a
 * report that cannot be made in time stays queued in the {@link JobJournal}, and is made when the coordinator
 * answers again, even after a restart) and shows the job's progress and outcome to the agent's {@link JobObserver}.
 */
final class JobLease {
  private static final Logger LOG = LoggerFactory.getLogger(JobLease.class);

  private final Vertx vertx;
  private final CoordinatorClient coordinator;
  private final String kind;
  private final String jobId;
  private final long leaseSeconds;
  private final long timerId;
  private volatile Double percentDone;
  private volatile Long bytesTransferred;
  private volatile boolean stopRequested;
  private volatile String lostBecause;
  /**
   * A completion that could not be reported and is queued in the journal: the job did its work, so a failure that
   * follows (a runner handed the report's error, or the agent shutting down under it) must not replace that outcome.
   */
  private volatile boolean completionQueued;
  private final JsonObject job;
  private final JobJournal journal;
  private final JobObserver.Job observed;

  /** @param kind the API's path segment: backup-jobs, restore-jobs, copy-jobs */
  JobLease(Vertx vertx, CoordinatorClient coordinator, String kind, String jobId, long leaseSeconds, Duration renewEvery) {
    this(vertx, coordinator, kind, jobId, leaseSeconds, renewEvery, null, null, JobObserver.Job.NONE);
  }

  /** The lease of a job {@code agent} leased: its outcome journaled, its progress observed. */
  JobLease(GatewayAgent agent, String kind, String jobId, long leaseSeconds, Duration renewEvery) {
    this(agent.vertx(), agent.coordinator(), kind, jobId, leaseSeconds, renewEvery, agent.leasedJob(jobId), agent.journal(),
        agent.observed(jobId));
  }

  /** A lease with every collaborator given: {@code job} and {@code journal} both, or neither (no journal). */
  JobLease(Vertx vertx, CoordinatorClient coordinator, String kind, String jobId, long leaseSeconds, Duration renewEvery,
      JsonObject job, JobJournal journal, JobObserver.Job observed) {
    this.job = job;
    this.journal = job == null ? null : journal;
    this.observed = observed;
    this.vertx = vertx;
    this.coordinator = coordinator;
    this.kind = kind;
    this.jobId = jobId;
    this.leaseSeconds = leaseSeconds;
    this.timerId = vertx.setPeriodic(Math.max(100, renewEvery.toMillis()), id -> renew());
  }

  String jobId() {
    return jobId;
  }

  void progress(double percent, long bytes) {
    percentDone = Math.max(0, Math.min(100, percent));
    bytesTransferred = bytes;
    observed.progress(bytes, percent > 0 ? (long) (bytes * 100 / percent) : 0);
  }

  /** Whether the job should stop: the coordinator asked (StopBackupJob) or the lease is no longer this gateway's. */
  boolean shouldStop() {
    return stopRequested || lostBecause != null;
  }

  String stopReason() {
    return lostBecause != null ? "the lease of job " + jobId + " was lost (" + lostBecause + ")"
        : "job " + jobId + " was stopped (StopBackupJob)";
  }

  /** The coordinator refused to complete the job because it is being stopped. */
  void stopped() {
    stopRequested = true;
  }

  boolean stopRequested() {
    return stopRequested;
  }

  /** Renews the lease and reports progress; an unreachable coordinator is tried again at the next tick. */
  Future<Void> renew() {
    JsonObject body = new JsonObject().put("leaseSeconds", leaseSeconds);
    Double p = percentDone;
    if (p != null) {
      body.put("percentDone", p);
    }
    Long b = bytesTransferred;
    if (b != null && kind.equals("backup-jobs")) {
      body.put("bytesTransferred", b);
    }
    return coordinator.post("/" + kind + "/" + jobId + "/progress", body).<Void>map(answer -> {
      if (answer.getBoolean("stop", false)) {
        stopRequested = true;
      }
      return null;
    }).recover(e -> {
      if (e instanceof CoordinatorException c && !c.isRetryable()) {
        lostBecause = c.getMessage();
      } else {
        LOG.warn("job {}: progress not reported, the lease is renewed at the next tick: {}", jobId, e.getMessage());
      }
      return Future.succeededFuture();
    });
  }

  Future<JsonObject> complete(JsonObject body) {
    vertx.cancelTimer(timerId);
    return report("complete", body).onSuccess(answer -> {
      if ("FAILED".equals(answer.getString("state"))) {
        observed.failed(answer.getString("statusMessage", "the coordinator refused the completion"));
      } else {
        observed.succeeded(answer.getString("recoveryPointArn", answer.getString("createdResourceArn", "")),
            body.containsKey("backupSizeInBytes") ? body.getLong("backupSizeInBytes") + " bytes" : "done");
      }
    });
  }

  /**
   * Reports the failure in one line; nothing to report when the lease is lost (the coordinator refuses it), nor after a
   * completion that is queued for the coordinator: that outcome stands, and this fails with {@code message}.
   */
  Future<JsonObject> fail(String message) {
    vertx.cancelTimer(timerId);
    if (completionQueued) {
      return Future.failedFuture(new IllegalStateException(message));
    }
    if (lostBecause != null) {
      observed.failed(stopReason());
      return (journal == null ? Future.<Void>succeededFuture() : journal.forget(jobId))
          .map(new JsonObject().put("state", "LOST"));
    }
    String line = message == null ? "failed" : message.replace('\n', ' ').replace('\r', ' ');
    if (line.length() > 2048) {
      line = line.substring(0, 2045) + "...";
    }
    JsonObject body = new JsonObject().put("message", line);
    String shown = line;
    return report("fail", body).onSuccess(answer -> observed.failed(shown));
  }

  /**
   * Journals the outcome, then reports it (retried for about a lease). Once the coordinator answered, the journal
   * entry goes; when it never did, the entry stays and the agent reports it later.
   */
  private Future<JsonObject> report(String call, JsonObject body) {
    Future<Boolean> journaled = journal == null ? Future.succeededFuture(false)
        : journal.outcome(job, call, body).map(true).recover(e -> {
          LOG.warn("job {}: outcome not journaled (reported all the same): {}", jobId, e.getMessage());
          return Future.succeededFuture(false);
        });
    return journaled.compose(queued -> retried(call, () -> coordinator.post("/" + kind + "/" + jobId + "/" + call, body))
        .compose(answer -> journal == null ? Future.succeededFuture(answer) : journal.forget(jobId).map(answer),
            e -> {
              if (journal != null && e instanceof CoordinatorException c && !c.isRetryable()) {
                observed.failed("the coordinator refused its outcome: " + e.getMessage());
                return journal.forget(jobId).transform(x -> Future.failedFuture(e)); // refused: nothing to report again
              }
              observed.failed("ended; its outcome is queued until the coordinator answers: " + e.getMessage());
              completionQueued = queued && call.equals("complete");
              return Future.failedFuture(e);
            }));
  }

  /** Retries while the coordinator does not answer, for about one lease; an error answer is final. */
  private Future<JsonObject> retried(String what, java.util.function.Supplier<Future<JsonObject>> call) {
    Backoff backoff = new Backoff(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(30));
    long deadline = System.nanoTime() + Duration.ofSeconds(leaseSeconds).toNanos();
    return attempt(what, call, backoff, deadline);
  }

  private Future<JsonObject> attempt(String what, java.util.function.Supplier<Future<JsonObject>> call, Backoff backoff, long deadline) {
    return call.get().recover(e -> {
      if (!(e instanceof CoordinatorException c) || !c.isRetryable() || System.nanoTime() > deadline) {
        return Future.failedFuture(e);
      }
      Duration wait = backoff.failed();
      LOG.warn("job {}: cannot {} yet, again in {} ms: {}", jobId, what, wait.toMillis(), e.getMessage());
      return vertx.timer(wait.toMillis()).compose(x -> attempt(what, call, backoff, deadline));
    });
  }
}
