package dev.vaultgate.vault;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs asynchronous work on a Vert.x event-loop context and waits for it on a plain thread (a command's
 * main thread, a test): the bridge between Vert.x futures and code that must block. Never on an event loop.
 */
public final class Await {
  private Await() {
  }

  /** The work's result, however long it takes; a failure is rethrown as it is when unchecked. */
  public static <T> T await(Vertx vertx, Supplier<Future<T>> work) {
    return await(vertx, work, null);
  }

  /** The same, failing with an {@link AssertionError} after {@code timeout} (for tests). */
  public static <T> T await(Vertx vertx, Supplier<Future<T>> work, Duration timeout) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("Await.await called on an event loop: it would block it");
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      Future<T> f;
      try {
        f = work.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        if (ar.succeeded()) {
          result.complete(ar.result());
        } else {
          result.completeExceptionally(ar.cause());
        }
      });
    });
    try {
      return timeout == null ? result.get() : result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new CompletionException(e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException("interrupted while waiting", e);
    } catch (TimeoutException e) {
      throw new AssertionError("asynchronous work did not finish within " + timeout, e);
    }
  }
}
