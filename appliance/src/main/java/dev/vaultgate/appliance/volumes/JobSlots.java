package dev.vaultgate.appliance.volumes;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;

/** At most N jobs at once (the config's maxConcurrentJobs); the others wait their turn in order. */
public final class JobSlots {
  private final int max;
  private int running;
  private final Deque<Promise<Void>> waiting = new ArrayDeque<>();

  public JobSlots(int max) {
    this.max = max;
  }

  /** Runs {@code job} when a slot is free, and frees the slot when its future ends, however it ends. */
  public <T> Future<T> submit(Supplier<Future<T>> job) {
    return acquire().compose(v -> {
      Future<T> f;
      try {
        f = job.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      return f.onComplete(ar -> release());
    });
  }

  private synchronized Future<Void> acquire() {
    if (running < max) {
      running++;
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waiting.add(p);
    return p.future();
  }

  private void release() {
    Promise<Void> next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        running--;
      }
    }
    if (next != null) {
      next.complete();
    }
  }
}
