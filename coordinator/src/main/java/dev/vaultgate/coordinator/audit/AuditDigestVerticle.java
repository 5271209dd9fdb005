package dev.vaultgate.coordinator.audit;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a digest every interval; one round at a time (a slow S3 delays the next round rather than
 * overlapping it). Every replica runs one; the writer's lock lets one of them write each round.
 */
public final class AuditDigestVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(AuditDigestVerticle.class);

  private final AuditDigestWriter writer;
  private final Duration interval;
  private volatile boolean stopped;

  public AuditDigestVerticle(AuditDigestWriter writer, Duration interval) {
    this.writer = writer;
    this.interval = interval;
  }

  @Override
  public Future<?> start() {
    vertx.setTimer(interval.toMillis(), id -> round());
    return Future.succeededFuture();
  }

  private void round() {
    if (stopped) return;
    writer.write(context, false)
        .onSuccess(w -> w.ifPresent(d -> LOG.info("audit digest {} written (seq {}..{})", d.name(), d.firstSeq(),
            d.lastSeq())))
        .onFailure(e -> LOG.error("audit digest not written (the next round retries): {}", e.getMessage()))
        .onComplete(ar -> {
          if (!stopped) vertx.setTimer(interval.toMillis(), id -> round());
        });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    return Future.succeededFuture();
  }
}
