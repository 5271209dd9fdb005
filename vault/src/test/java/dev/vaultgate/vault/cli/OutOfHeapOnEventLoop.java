package dev.vaultgate.vault.cli;

import io.vertx.core.Vertx;

/**
 * A JVM whose command's event loop runs out of heap in a handler (thrown here, as the JVM would: where a real heap runs
 * out is not deterministic): {@code TerminatedCommandTest} checks that it ends in one line instead of waiting.
 */
final class OutOfHeapOnEventLoop {
  private OutOfHeapOnEventLoop() {
  }

  public static void main(String[] args) throws InterruptedException {
    Vertx vertx = VaultgateCli.newVertx();
    vertx.runOnContext(v -> {
      throw new OutOfMemoryError("Java heap space");
    });
    Thread.sleep(120_000); // a command waiting on a future that nothing will complete
  }
}
