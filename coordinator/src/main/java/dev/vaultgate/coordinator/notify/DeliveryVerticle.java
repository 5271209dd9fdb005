package dev.vaultgate.coordinator.notify;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.PemTrustOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains the notification outbox on every replica: claims due deliveries (never one another
 * replica holds), sends each to its subscriber, and settles it: delivered rows go, failed ones
 * come back after a backoff with jitter, and past the max age they are marked DEAD with a WARN
 * line. Everything is non-blocking I/O (pg, HTTP and SMTP clients), so it runs on an event loop.
 */
public final class DeliveryVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryVerticle.class);
  private static final Duration SUMMARY_EVERY = Duration.ofMinutes(1);

  private final NotificationOutbox outbox;
  private final NotifyConfig config;
  private final Clock clock;
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong failedAttempts = new AtomicLong();
  private final AtomicLong dead = new AtomicLong();
  private HttpClient http;
  private SmtpNotificationSender smtp;
  private NotificationSender webhooks;
  private long timer = -1;
  private long summaryTimer = -1;
  private String lastSummary = "";
  private boolean draining;

  public DeliveryVerticle(NotificationOutbox outbox, NotifyConfig config, Clock clock) {
    this.outbox = outbox;
    this.config = config;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    HttpClientOptions options = new HttpClientOptions().setConnectTimeout((int) config.deliveryTimeout().toMillis())
        .setKeepAlive(false);
    if (config.webhookCaFile() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(config.webhookCaFile().toString()));
    }
    http = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(16));
    webhooks = new HttpNotificationSender(http, config.deliveryTimeout(), clock);
    if (config.smtp() != null) smtp = new SmtpNotificationSender(vertx, config.smtp(), config.deliveryTimeout());
    timer = vertx.setPeriodic(config.pollInterval().toMillis(), id -> drain());
    summaryTimer = vertx.setPeriodic(SUMMARY_EVERY.toMillis(), id -> summarize());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    vertx.cancelTimer(summaryTimer);
    summarize();
    List<Future<?>> closing = new ArrayList<>();
    closing.add(http.close());
    if (smtp != null) closing.add(smtp.close());
    return Future.join(closing);
  }

  /** Delivered, failed attempts and dead deliveries since start on this replica: the metrics. */
  public long delivered() {
    return delivered.get();
  }

  public long failedAttempts() {
    return failedAttempts.get();
  }

  public long dead() {
    return dead.get();
  }

  /** The metrics as a log line, when they changed since the last one. */
  private void summarize() {
    String summary = "notifications since start on this replica: delivered " + delivered + ", failed attempts "
        + failedAttempts + ", dead " + dead;
    if (!summary.equals(lastSummary) && delivered.get() + failedAttempts.get() + dead.get() > 0) LOG.info(summary);
    lastSummary = summary;
  }

  /** One pass; a full batch is followed at once by another, so a backlog drains at full speed. */
  private void drain() {
    if (draining) return;
    draining = true;
    // a claim is held a little longer than one attempt may take, so it is not claimed twice meanwhile
    Duration hold = config.deliveryTimeout().plusSeconds(5);
    outbox.claim(config.batchSize(), hold)
        .compose(batch -> {
          List<Future<Void>> settled = new ArrayList<>();
          for (NotificationOutbox.Delivery d : batch) settled.add(deliver(d));
          return Future.join(settled).map(batch.size());
        })
        .onComplete(ar -> {
          draining = false;
          if (ar.failed()) {
            LOG.warn("notification delivery pass failed: {}", HttpNotificationSender.oneLine(ar.cause()));
          } else if (ar.result() == config.batchSize()) {
            vertx.runOnContext(v -> drain());
          }
        });
  }

  private Future<Void> deliver(NotificationOutbox.Delivery d) {
    NotificationSender sender = d.protocol().startsWith("http") ? webhooks
        : smtp != null ? smtp : dd -> Future.failedFuture("no SMTP relay is configured (VAULTGATE_SMTP_HOST)");
    Future<Void> sent;
    try {
      sent = sender.send(d).timeout(config.deliveryTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    return sent.transform(ar -> {
      if (ar.succeeded()) {
        delivered.incrementAndGet();
        return outbox.delivered(d.id());
      }
      failedAttempts.incrementAndGet();
      String error = HttpNotificationSender.oneLine(ar.cause());
      Duration age = Duration.between(d.createdAt(), d.claimedAt());
      Optional<Duration> wait = config.retry().next(d.attempts(), age, () -> ThreadLocalRandom.current().nextDouble());
      if (wait.isPresent()) {
        LOG.info("notification {} ({}) to {}: attempt {} failed, next in {} ms: {}", d.id(), d.eventType(),
            d.endpoint(), d.attempts(), wait.get().toMillis(), error);
        return outbox.retryAfter(d.id(), wait.get(), error);
      }
      dead.incrementAndGet();
      LOG.warn("notification {} ({}) to {} is DEAD after {} attempts over {} s: {}", d.id(), d.eventType(),
          d.endpoint(), d.attempts(), age.toSeconds(), error);
      return outbox.dead(d.id(), error);
    }).recover(e -> {
      // the row stays claimed until its hold passes, then another pass retries it
      LOG.warn("cannot settle notification {}: {}", d.id(), HttpNotificationSender.oneLine(e));
      return Future.succeededFuture();
    });
  }
}
