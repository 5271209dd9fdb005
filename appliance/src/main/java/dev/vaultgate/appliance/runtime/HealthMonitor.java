package dev.vaultgate.appliance.runtime;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Whether the gateway's peers answer: each {@link Check} is probed every interval (never two probes of one check at
 * once); its state, with the last error and when it happened, is kept and published on {@link #EVENTS} when it
 * changes. A check that is not configured yet (vCenter before the agent plugs in) shows as such, not as down.
 */
public final class HealthMonitor {
  public static final String EVENTS = "vaultgate.health";
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

  /** One peer to probe: the future fails with a one-line reason when it is unreachable. */
  public interface Check {
    String name();

    String description();

    Future<Void> probe();

    /** False while there is nothing to probe yet (no vCenter associated): shown as not configured, not as down. */
    default boolean configured() {
      return true;
    }
  }

  public enum Status { UNKNOWN, UP, DOWN, NOT_CONFIGURED }

  private final Vertx vertx;
  private final Map<String, Entry> checks = new LinkedHashMap<>();
  private long timer = -1;

  public HealthMonitor(Vertx vertx) {
    this.vertx = vertx;
  }

  private static final class Entry {
    final String name;
    String description;
    Check check;
    Status status = Status.UNKNOWN;
    String lastError;
    Instant lastErrorAt;
    Instant checkedAt;
    boolean probing;

    Entry(String name, String description) {
      this.name = name;
      this.description = description;
    }

    JsonObject toJson() {
      return new JsonObject().put("name", name).put("description", description).put("status", status.name())
          .put("lastError", lastError).put("lastErrorAt", lastErrorAt == null ? null : lastErrorAt.toString())
          .put("checkedAt", checkedAt == null ? null : checkedAt.toString());
    }
  }

  /** Adds (or replaces) a check; it is probed at once and then every interval. */
  public synchronized void add(Check check) {
    Entry e = checks.computeIfAbsent(check.name(), n -> new Entry(n, check.description()));
    e.check = check;
    e.description = check.description();
    e.status = Status.UNKNOWN;
    if (timer >= 0) {
      probe(e);
    }
  }

  /** Lists a peer that has no check yet (e.g. vCenter before the agent is configured). */
  public synchronized void notConfigured(String name, String description) {
    Entry e = checks.computeIfAbsent(name, n -> new Entry(n, description));
    e.status = Status.NOT_CONFIGURED;
  }

  public synchronized void start(Duration interval) {
    if (timer >= 0) {
      return;
    }
    timer = vertx.setPeriodic(0, interval.toMillis(), id -> probeAll());
  }

  public synchronized void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private synchronized void probeAll() {
    checks.values().forEach(this::probe);
  }

  private void probe(Entry e) {
    if (e.check == null || e.probing) {
      return;
    }
    if (!e.check.configured()) {
      if (e.status != Status.NOT_CONFIGURED) {
        e.status = Status.NOT_CONFIGURED;
        vertx.eventBus().publish(EVENTS, e.toJson());
      }
      return;
    }
    e.probing = true;
    Future<Void> f;
    try {
      f = e.check.probe().timeout(PROBE_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (RuntimeException thrown) {
      f = Future.failedFuture(thrown);
    }
    f.onComplete(ar -> {
      JsonObject changed = null;
      synchronized (this) {
        e.probing = false;
        Status before = e.status;
        String errorBefore = e.lastError;
        e.checkedAt = Instant.now();
        if (ar.succeeded()) {
          e.status = Status.UP;
        } else {
          e.status = Status.DOWN;
          e.lastError = oneLine(ar.cause());
          e.lastErrorAt = e.checkedAt;
        }
        if (before != e.status || (e.status == Status.DOWN && !e.lastError.equals(errorBefore))) {
          changed = e.toJson();
        }
      }
      if (changed != null) {
        vertx.eventBus().publish(EVENTS, changed);
      }
    });
  }

  public synchronized JsonArray snapshot() {
    JsonArray all = new JsonArray();
    checks.values().forEach(e -> all.add(e.toJson()));
    return all;
  }

  /** UP when every configured check is up, else DEGRADED. */
  public synchronized String overall() {
    return checks.values().stream().allMatch(e -> e.status == Status.UP || e.status == Status.NOT_CONFIGURED) ? "UP" : "DEGRADED";
  }

  static String oneLine(Throwable t) {
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
