package dev.vaultgate.vault.cli;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/** Runs asynchronous work on one Vert.x event-loop context and waits for it on the calling (main) thread. */
final class Await {
  private Await() {
  }

  static <T> T on(Vertx vertx, Supplier<Future<T>> work) {
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
      return result.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new RuntimeException(cause.getMessage(), cause);
    }
  }
}
