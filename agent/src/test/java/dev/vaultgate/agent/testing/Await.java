package dev.vaultgate.agent.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** Runs asynchronous work on a Vert.x context and blocks the test thread (never an event loop) until it ends. */
public final class Await {
  private Await() {
  }

  /** The work's result; its failure is rethrown as it is when unchecked. */
  public static <T> T await(Vertx vertx, Supplier<Future<T>> work) {
    if (io.vertx.core.Context.isOnEventLoopThread()) {
      throw new IllegalStateException("await called on an event loop: compute blocking inputs before the lambda");
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      Future<T> f;
      try {
        f = work.get();
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
        return;
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
      return result.get(90, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new CompletionException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("asynchronous work did not finish in time", e);
    }
  }

  /** The failure of work that must fail. */
  public static Throwable failure(Vertx vertx, Supplier<Future<?>> work) {
    try {
      await(vertx, () -> work.get().map(x -> (Object) x));
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("expected a failure, but it succeeded");
  }
}
