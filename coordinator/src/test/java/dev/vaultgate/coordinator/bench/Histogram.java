package dev.vaultgate.coordinator.bench;

/**
 * Latency histogram in microseconds: exact below 1 ms, then buckets of 1/64 of the power of
 * two they fall in (relative error under 1.6%), up to about 70 minutes. Single-writer: the
 * load generator records from its one event-loop thread.
 */
final class Histogram {

  private static final int SUB = 64; // buckets per power of two
  private static final int EXACT = 1024; // microseconds recorded exactly
  private final long[] counts = new long[EXACT + 32 * SUB];
  private long total;
  private long max;

  void record(long micros) {
    if (micros < 0) micros = 0;
    counts[index(micros)]++;
    total++;
    if (micros > max) max = micros;
  }

  long count() {
    return total;
  }

  long maxMicros() {
    return max;
  }

  /** The smallest recorded value v such that at least q of all values are <= v (bucket upper bound). */
  long percentileMicros(double q) {
    if (total == 0) return 0;
    long rank = (long) Math.ceil(q * total);
    if (rank < 1) rank = 1;
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) return Math.min(upperBound(i), max);
    }
    return max;
  }

  private static int index(long v) {
    if (v < EXACT) return (int) v;
    int exp = 63 - Long.numberOfLeadingZeros(v); // >= 10
    int sub = (int) ((v >>> (exp - 6)) & (SUB - 1));
    int i = EXACT + (exp - 10) * SUB + sub;
    return Math.min(i, EXACT + 32 * SUB - 1);
  }

  private static long upperBound(int i) {
    if (i < EXACT) return i;
    int exp = (i - EXACT) / SUB + 10;
    int sub = (i - EXACT) % SUB;
    long base = 1L << exp;
    long step = 1L << (exp - 6);
    return base + (sub + 1L) * step - 1;
  }
}
