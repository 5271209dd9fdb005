package dev.vaultgate.coordinator.restoretest;

import dev.vaultgate.coordinator.audit.ActivityEvents;
import dev.vaultgate.coordinator.audit.ActivityLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs {@link RestoreTestScheduler#tick} every interval (one pass at a time) on every replica. */
public final class RestoreTestScheduleVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreTestScheduleVerticle.class);

  private final RestoreTestScheduler scheduler;
  private final Clock clock;
  private final Duration interval;
  private final ActivityLog activity;
  private final String region;
  private volatile boolean stopped;

  public RestoreTestScheduleVerticle(RestoreTestScheduler scheduler, Clock clock, Duration interval,
      ActivityLog activity, String region) {
    this.activity = activity;
    this.region = region;
    this.scheduler = scheduler;
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
    scheduler.tick(now)
        .onSuccess(r -> {
          if (r.plansRun() + r.validationsClosed() > 0) {
            activity.record(ActivityEvents.serviceAction("RunRestoreTestingPlans", null, new JsonObject()
                .put("plansRun", r.plansRun()).put("restoreJobsStarted", new JsonArray(r.jobsStarted()))
                .put("resourcesWithoutRecoveryPoint", r.resourcesWithoutPoint())
                .put("validationWindowsClosed", r.validationsClosed()), now, region));
            LOG.info("restore testing: {} plans run, {} restore tests started, {} resources without a point to test,"
                + " {} validation windows closed", r.plansRun(), r.jobsStarted().size(), r.resourcesWithoutPoint(),
                r.validationsClosed());
          }
        })
        .onFailure(e -> LOG.warn("restore testing pass failed: {}", e.toString()))
        .onComplete(ar -> { if (!stopped) vertx.setTimer(interval.toMillis(), id -> pass()); });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    return Future.succeededFuture();
  }
}
