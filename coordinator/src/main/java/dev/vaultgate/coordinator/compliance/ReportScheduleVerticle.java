package dev.vaultgate.coordinator.compliance;

import dev.vaultgate.coordinator.audit.ActivityEvents;
import dev.vaultgate.coordinator.audit.ActivityLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs report plans daily: every interval it starts the job of each plan whose last run is a day
 * old ({@link ReportRunner#runDue}; the claim is a conditional update, so replicas never both run one).
 */
public final class ReportScheduleVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ReportScheduleVerticle.class);

  private final ReportRunner runner;
  private final Clock clock;
  private final Duration interval;
  private final ActivityLog activity;
  private final String region;
  private volatile boolean stopped;

  public ReportScheduleVerticle(ReportRunner runner, Clock clock, Duration interval, ActivityLog activity, String region) {
    this.activity = activity;
    this.region = region;
    this.runner = runner;
    this.clock = clock;
    this.interval = interval;
  }

  @Override
  public Future<?> start() {
    vertx.setTimer(interval.toMillis(), id -> pass());
    return Future.succeededFuture();
  }

  private void pass() {
    if (stopped) return;
    java.time.Instant now = clock.instant();
    runner.runDue(now)
        .onSuccess(jobs -> {
          if (!jobs.isEmpty()) LOG.info("report plans: {} daily report jobs started", jobs.size());
          // the service acting, in the account's log: an auditor sees which scheduled report ran when
          jobs.forEach(j -> activity.record(ActivityEvents.serviceAction("StartScheduledReportJob", j.accountId(),
              new JsonObject().put("reportPlanName", j.planName()).put("reportPlanArn", j.planArn())
                  .put("reportJobId", j.reportJobId()), now, region)));
        })
        .onFailure(e -> LOG.warn("report schedule pass failed: {}", e.toString()))
        .onComplete(ar -> { if (!stopped) vertx.setTimer(interval.toMillis(), id -> pass()); });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    return Future.succeededFuture();
  }
}
