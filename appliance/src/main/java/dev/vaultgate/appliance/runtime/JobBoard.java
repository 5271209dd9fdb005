package dev.vaultgate.appliance.runtime;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway's jobs, running and recent. Whoever runs a job reports it here ({@link #start}, then
 * {@link Job#progress}, {@link Job#succeeded} or {@link Job#failed}); each change is published as JSON on
 * {@link #EVENTS}. Progress is published at most every {@link #PROGRESS_INTERVAL_NANOS}, so a fast job does not
 * flood the event bus. Calls never block; they may come from any thread.
 */
public final class JobBoard {
  public static final String EVENTS = "vaultgate.jobs";
  static final long PROGRESS_INTERVAL_NANOS = 250_000_000L;
  private static final int RECENT = 50;

  public enum State { RUNNING, COMPLETED, FAILED }

  private final Vertx vertx;
  private final AtomicLong ids = new AtomicLong();
  private final Map<String, Job> running = new LinkedHashMap<>();
  private final Deque<JsonObject> recent = new ArrayDeque<>();

  public JobBoard(Vertx vertx) {
    this.vertx = vertx;
  }

  /** A job of {@code kind} (e.g. BACKUP, RESTORE) on {@code resource}, running from now. */
  public Job start(String kind, String resource) {
    Job job = new Job("job-" + ids.incrementAndGet(), kind, resource);
    synchronized (this) {
      running.put(job.id, job);
    }
    publish(job.toJson());
    return job;
  }

  /** Running jobs first, then the recent ones, newest first. */
  public synchronized JsonArray snapshot() {
    JsonArray all = new JsonArray();
    running.values().forEach(j -> all.add(j.toJson()));
    recent.forEach(all::add);
    return all;
  }

  public synchronized int runningCount() {
    return running.size();
  }

  private void publish(JsonObject event) {
    vertx.eventBus().publish(EVENTS, event);
  }

  private void finish(Job job) {
    JsonObject json = job.toJson();
    synchronized (this) {
      running.remove(job.id);
      recent.addFirst(json);
      while (recent.size() > RECENT) {
        recent.removeLast();
      }
    }
    publish(json);
  }

  /** One job's state; its methods are its reporter's. */
  public final class Job {
    private final String id;
    private final String kind;
    private final String resource;
    private final Instant startedAt = Instant.now();
    private final long startNanos = System.nanoTime();
    private volatile State state = State.RUNNING;
    private volatile long bytesDone;
    private volatile long bytesTotal;
    private volatile String message = "";
    private volatile String recoveryPointId;
    private volatile Instant endedAt;
    private volatile long lastPublishNanos;

    private Job(String id, String kind, String resource) {
      this.id = id;
      this.kind = kind;
      this.resource = resource;
    }

    public String id() {
      return id;
    }

    public State state() {
      return state;
    }

    public void progress(long done, long total) {
      bytesDone = done;
      bytesTotal = total;
      long now = System.nanoTime();
      if (now - lastPublishNanos >= PROGRESS_INTERVAL_NANOS) {
        lastPublishNanos = now;
        publish(toJson());
      }
    }

    public void succeeded(String recoveryPoint, String summary) {
      if (state != State.RUNNING) {
        return;
      }
      recoveryPointId = recoveryPoint;
      message = summary;
      bytesDone = bytesTotal;
      endedAt = Instant.now();
      state = State.COMPLETED;
      finish(this);
    }

    public void failed(String error) {
      if (state != State.RUNNING) {
        return;
      }
      message = error;
      endedAt = Instant.now();
      state = State.FAILED;
      finish(this);
    }

    public JsonObject toJson() {
      long elapsed = (endedAt == null ? System.nanoTime() : startNanos + java.time.Duration.between(startedAt, endedAt).toNanos()) - startNanos;
      JsonObject j = new JsonObject()
          .put("id", id).put("kind", kind).put("resource", resource).put("state", state.name())
          .put("startedAt", startedAt.toString()).put("endedAt", endedAt == null ? null : endedAt.toString())
          .put("bytesDone", bytesDone).put("bytesTotal", bytesTotal)
          .put("percent", JobProgress.percent(bytesDone, bytesTotal))
          .put("bytesPerSecond", JobProgress.bytesPerSecond(bytesDone, elapsed))
          .put("message", message).put("recoveryPointId", recoveryPointId);
      if (state == State.RUNNING) {
        JobProgress.secondsLeft(bytesDone, bytesTotal, elapsed).ifPresent(s -> j.put("etaSeconds", s));
      }
      return j;
    }
  }

  /** For tests and plug-ins: the ids of running jobs. */
  public synchronized List<String> runningIds() {
    return new ArrayList<>(running.keySet());
  }
}
