package dev.vaultgate.appliance.runtime;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthMonitorTest {
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  static HealthMonitor.Check check(String name, java.util.function.Supplier<Future<Void>> probe) {
    return new HealthMonitor.Check() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public String description() {
        return name.toUpperCase();
      }

      @Override
      public Future<Void> probe() {
        return probe.get();
      }
    };
  }

  static void waitUntil(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  @Test
  void peerGoingDownIsPublishedWithItsErrorAndDegradesTheGateway() throws Exception {
    AtomicBoolean up = new AtomicBoolean(true);
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(HealthMonitor.EVENTS, m -> events.add(m.body()));
    HealthMonitor h = new HealthMonitor(vertx);
    h.add(check("s3", () -> up.get() ? Future.succeededFuture() : Future.failedFuture("connection refused: 127.0.0.1:9000")));
    h.notConfigured("vcenter", "vCenter");
    h.start(Duration.ofMillis(50));
    waitUntil(() -> "UP".equals(h.overall()), "UP");
    up.set(false);
    waitUntil(() -> events.stream().anyMatch(e -> "DOWN".equals(e.getString("status"))), "a DOWN event");
    JsonObject down = events.stream().filter(e -> "DOWN".equals(e.getString("status"))).findFirst().orElseThrow();
    assertEquals("s3", down.getString("name"));
    assertEquals("connection refused: 127.0.0.1:9000", down.getString("lastError"));
    assertEquals("DEGRADED", h.overall());
    int before = events.size();
    Thread.sleep(300);
    assertEquals(before, events.size(), "an unchanged state is not published again");
    up.set(true);
    waitUntil(() -> "UP".equals(h.overall()), "UP again");
    h.stop();
  }

  @Test
  void slowProbeIsNeverRunTwiceAtOnce() throws Exception {
    AtomicInteger started = new AtomicInteger();
    Promise<Void> hanging = Promise.promise();
    HealthMonitor h = new HealthMonitor(vertx);
    h.add(check("coordinator", () -> {
      started.incrementAndGet();
      return hanging.future();
    }));
    h.start(Duration.ofMillis(20));
    Thread.sleep(300);
    assertEquals(1, started.get());
    assertTrue(h.snapshot().getJsonObject(0).getString("status").equals("UNKNOWN"));
    h.stop();
  }
}
