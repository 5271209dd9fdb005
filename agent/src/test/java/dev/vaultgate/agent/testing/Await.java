package dev.vaultgate.agent.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.Supplier;

/** {@link dev.vaultgate.vault.Await} with the agent tests' time limit, and a helper for work that must fail. */
public final class Await {
  private Await() {
  }

  /** The work's result; its failure is rethrown as it is when unchecked. */
  public static <T> T await(Vertx vertx, Supplier<Future<T>> work) {
    return dev.vaultgate.vault.Await.await(vertx, work, Duration.ofSeconds(90));
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
