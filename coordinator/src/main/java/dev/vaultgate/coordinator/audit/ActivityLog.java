package dev.vaultgate.coordinator.audit;

import dev.vaultgate.coordinator.wire.ApiCall;
import dev.vaultgate.coordinator.wire.CallObserver;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's recorder: API fronts, the agent API and the scheduler hand it events (or what
 * to build them from) from any event loop; one writer, on this verticle's context, has each batch
 * built and encoded on a worker, then appends it to {@link PgActivityLogStore} (one transaction,
 * pipelined inserts), off the request path.
 *
 * <p>Full queue: the event is dropped and counted, never silently. Blocking a front or failing an
 * already-answered call would be worse for a control plane than a counted gap, and the gap itself
 * is written into the chain: as soon as the writer has room it appends an {@code
 * ActivityLogEventsDropped} service event with how many were lost and between which times, and every
 * drop is logged at ERROR (the first of a burst) and counted in {@link #dropped()}. A database that
 * is down does not lose the batch in hand: the writer retries it with backoff while the queue
 * absorbs new events up to its capacity.
 */
public final class ActivityLog extends VerticleBase implements CallObserver, ActivityRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(ActivityLog.class);
  public static final int DEFAULT_CAPACITY = 100_000;
  public static final int DEFAULT_BATCH = 500;
  private static final long MAX_RETRY_MILLIS = 5_000;

  private final PgActivityLogStore store;
  private final String region;
  private final Clock clock;
  private final int capacity;
  private final int batchSize;
  /** Events, or how to build them: records are built on the writer's worker, not the caller's event loop. */
  private final ConcurrentLinkedQueue<Supplier<ActivityEvent>> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong droppedSinceReport = new AtomicLong();
  private volatile Instant firstDropAt;
  private volatile Instant lastDropAt;
  private final AtomicLong written = new AtomicLong();
  private volatile Context writerContext;
  private List<Supplier<ActivityEvent>> inHand = List.of();
  private long retryMillis = 100;
  private final List<Promise<Void>> flushWaiters = new ArrayList<>();

  public ActivityLog(PgActivityLogStore store, String region, Clock clock, int capacity, int batchSize) {
    if (capacity < 1 || batchSize < 1) throw new IllegalArgumentException("capacity and batch size must be positive");
    this.store = store;
    this.region = region;
    this.clock = clock;
    this.capacity = capacity;
    this.batchSize = batchSize;
  }

  public ActivityLog(PgActivityLogStore store, String region, Clock clock) {
    this(store, region, clock, DEFAULT_CAPACITY, DEFAULT_BATCH);
  }

  @Override
  public Future<?> start() {
    writerContext = context;
    scheduleDrain();
    return Future.succeededFuture();
  }

  /** How long a stop waits for the queue to be written (a database that is down would hold it forever). */
  static final long STOP_WAIT_SECONDS = 15;

  /**
   * Writes what is queued before the verticle goes, so a clean stop loses nothing; when the
   * database does not take it within {@link #STOP_WAIT_SECONDS}, says at ERROR how many are lost.
   */
  @Override
  public Future<?> stop() {
    return flush().timeout(STOP_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS).recover(e -> {
      LOG.error("activity log: stopping with {} events not written ({})", queued.get() + inHand.size(), e.toString());
      return Future.succeededFuture();
    });
  }

  /** The call's record (redaction, resources) is built later, on the writer's worker. */
  @Override
  public void observed(ApiCall call) {
    recordLater(() -> ActivityEvents.apiCall(call, region));
  }

  @Override
  public void record(ActivityEvent event) {
    recordLater(() -> event);
  }

  @Override
  public void recordLater(Supplier<ActivityEvent> event) {
    if (queued.incrementAndGet() > capacity) {
      queued.decrementAndGet();
      Instant now = clock.instant();
      if (droppedSinceReport.getAndIncrement() == 0) {
        firstDropAt = now;
        LOG.error("activity log queue full ({} events): dropping events until the writer catches up;"
            + " the count is recorded in the log", capacity);
      }
      lastDropAt = now;
      dropped.incrementAndGet();
      return;
    }
    queue.add(event);
    scheduleDrain();
  }

  /** Events dropped because the queue was full, since start. */
  public long dropped() {
    return dropped.get();
  }

  /** Events appended by this writer, since start. */
  public long written() {
    return written.get();
  }

  /** Completes once everything queued before the call is in the database. */
  public Future<Void> flush() {
    Context ctx = writerContext;
    if (ctx == null) return Future.failedFuture(new IllegalStateException("activity log writer is not running"));
    Promise<Void> done = Promise.promise();
    ctx.runOnContext(v -> {
      if (idle()) done.complete();
      else flushWaiters.add(done);
    });
    return done.future();
  }

  private boolean idle() {
    return queue.isEmpty() && inHand.isEmpty() && !draining.get() && droppedSinceReport.get() == 0;
  }

  private void scheduleDrain() {
    Context ctx = writerContext;
    if (ctx != null && draining.compareAndSet(false, true)) ctx.runOnContext(v -> drain());
  }

  /** Runs on the writer's context only: one batch at a time. */
  private void drain() {
    if (inHand.isEmpty()) inHand = takeBatch();
    if (inHand.isEmpty()) {
      draining.set(false);
      if (!queue.isEmpty() || droppedSinceReport.get() > 0) {
        scheduleDrain();
      } else {
        flushWaiters.forEach(Promise::complete);
        flushWaiters.clear();
      }
      return;
    }
    List<Supplier<ActivityEvent>> batch = inHand;
    // building and encoding the records is the CPU part: on a worker, so event loops only link and send
    vertx.executeBlocking(() -> prepare(batch), false)
        .compose(store::appendPrepared)
        .onComplete(ar -> {
          if (ar.succeeded()) {
            written.addAndGet(batch.size());
            inHand = List.of();
            retryMillis = 100;
            drain();
          } else {
            LOG.warn("activity log: cannot append {} events (will retry in {} ms): {}", batch.size(), retryMillis,
                ar.cause().toString());
            long wait = retryMillis;
            retryMillis = Math.min(MAX_RETRY_MILLIS, retryMillis * 2);
            vertx.setTimer(wait, id -> drain());
          }
        });
  }

  /** Builds and encodes the batch; a record that cannot be built is replaced by one that says so. */
  private List<HashChain.Prepared> prepare(List<Supplier<ActivityEvent>> batch) {
    List<HashChain.Prepared> out = new ArrayList<>(batch.size());
    for (Supplier<ActivityEvent> build : batch) {
      ActivityEvent e;
      try {
        e = build.get();
      } catch (RuntimeException failed) {
        LOG.error("activity log: cannot build a record: {}", failed.toString());
        e = ActivityEvents.serviceAction("ActivityRecordUnbuildable", null,
            new JsonObject().put("error", failed.toString()), clock.instant(), region);
      }
      out.add(HashChain.Prepared.of(e));
    }
    return out;
  }

  private List<Supplier<ActivityEvent>> takeBatch() {
    List<Supplier<ActivityEvent>> batch = new ArrayList<>();
    long lost = droppedSinceReport.getAndSet(0);
    if (lost > 0) {
      // the gap goes into the chain ahead of what is queued after it
      ActivityEvent gap = ActivityEvents.serviceAction("ActivityLogEventsDropped", null, new JsonObject()
          .put("droppedEvents", lost)
          .put("firstDroppedAt", String.valueOf(firstDropAt))
          .put("lastDroppedAt", String.valueOf(lastDropAt))
          .put("queueCapacity", capacity), clock.instant(), region);
      batch.add(() -> gap);
      LOG.error("activity log: {} events were dropped between {} and {} (queue full)", lost, firstDropAt, lastDropAt);
    }
    while (batch.size() < batchSize) {
      Supplier<ActivityEvent> e = queue.poll();
      if (e == null) break;
      queued.decrementAndGet();
      batch.add(e);
    }
    return batch;
  }
}
