package dev.vaultgate.coordinator.compliance;

import io.vertx.core.Future;
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
  private volatile boolean stopped;

  public ReportScheduleVerticle(ReportRunner runner, Clock clock, Duration interval) {
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
    runner.runDue(clock.instant())
        .onSuccess(jobs -> { if (!jobs.isEmpty()) LOG.info("report plans: {} daily report jobs started", jobs.size()); })
        .onFailure(e -> LOG.warn("report schedule pass failed: {}", e.toString()))
        .onComplete(ar -> { if (!stopped) vertx.setTimer(interval.toMillis(), id -> pass()); });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    return Future.succeededFuture();
  }
}
