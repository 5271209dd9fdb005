package dev.vaultgate.vault.repo;

/**
 * Phase timings on stderr when {@code VAULTGATE_TRACE} is set: where a command spends its time, for
 * profiling without a profiler. Silent otherwise.
 */
public final class Trace {
  private static final boolean ON = System.getenv("VAULTGATE_TRACE") != null;
  private static final long START = System.nanoTime();

  private Trace() {
  }

  public static void mark(String phase) {
    if (ON) {
      System.err.printf("trace %8.3f s  %s%n", (System.nanoTime() - START) / 1e9, phase);
    }
  }
}
