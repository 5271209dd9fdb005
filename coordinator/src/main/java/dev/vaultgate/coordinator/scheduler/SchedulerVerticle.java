package dev.vaultgate.coordinator.scheduler;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link Scheduler#tick} every interval with the injected clock's time. One pass at a
 * time: a slow pass delays the next rather than overlapping it. Every replica runs one; the
 * stores make their passes safe together.
 */
public final class SchedulerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(SchedulerVerticle.class);

  private final Scheduler scheduler;
  private final Clock clock;
  private final Duration interval;
  private volatile boolean stopped;

  public SchedulerVerticle(Scheduler scheduler, Clock clock, Duration interval) {
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
    scheduler.tick(clock.instant())
        .onSuccess(t -> {
          if (t.sweep().total() + t.copiesAndRestores().total() + t.scheduled().jobs() + t.lifecycle().movedToCold()
              + t.lifecycle().deleted() > 0) {
            LOG.info("scheduler: {} jobs scheduled, leases/windows {}, copy/restore leases {}, lifecycle {}",
                t.scheduled().jobs(), t.sweep(), t.copiesAndRestores(), t.lifecycle());
          }
        })
        .onFailure(e -> LOG.warn("scheduler pass failed: {}", e.toString()))
        .onComplete(ar -> {
          if (!stopped) vertx.setTimer(interval.toMillis(), id -> pass());
        });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    return Future.succeededFuture();
  }
}
