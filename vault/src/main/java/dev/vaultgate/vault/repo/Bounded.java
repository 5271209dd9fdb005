package dev.vaultgate.vault.repo;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.Iterator;
import java.util.List;
import java.util.function.Function;

/** Runs asynchronous work over many items with at most a fixed number in flight. */
public final class Bounded {
  private Bounded() {
  }

  /** Applies {@code work} to every item, {@code parallelism} at a time; fails with the first failure, after in-flight work ends. */
  public static <T> Future<Void> forEach(List<T> items, int parallelism, Function<T, Future<?>> work) {
    Promise<Void> done = Promise.promise();
    Iterator<T> it = items.iterator();
    int[] running = {0};
    Throwable[] failure = {null};
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      synchronized (running) {
        while (failure[0] == null && running[0] < parallelism && it.hasNext()) {
          T item = it.next();
          running[0]++;
          Future<?> f;
          try {
            f = work.apply(item);
          } catch (RuntimeException e) {
            f = Future.failedFuture(e);
          }
          f.onComplete(ar -> {
            synchronized (running) {
              running[0]--;
              if (ar.failed() && failure[0] == null) {
                failure[0] = ar.cause();
              }
            }
            next[0].run();
          });
        }
        if (running[0] == 0 && (failure[0] != null || !it.hasNext())) {
          if (failure[0] != null) {
            done.tryFail(failure[0]);
          } else {
            done.tryComplete();
          }
        }
      }
    };
    next[0].run();
    return done.future();
  }
}
