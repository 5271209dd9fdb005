package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.IndexEntry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Plans the ranged reads that fetch a set of chunks: grouped by pack, and neighbours in a pack coalesced into one
 * read while the gap between them and the read's length stay within limits. Reading a small gap costs less than
 * another request; an unbounded read would cost memory. Pure logic: restores and copies both read this way.
 */
public final class PackRanges {
  private PackRanges() {
  }

  /**
   * How reads are coalesced.
   *
   * @param maxGap      unread bytes between two chunks that still join them into one read
   * @param maxLength   stored bytes of one read, gaps included (a chunk larger than this is read alone)
   * @param maxRawBytes plaintext bytes of the chunks of one read, which bounds the caller's output buffer
   */
  public record Limits(int maxGap, int maxLength, int maxRawBytes) {
    public Limits {
      if (maxGap < 0 || maxLength <= 0 || maxRawBytes <= 0) {
        throw new IllegalArgumentException("bad read limits: gap " + maxGap + ", length " + maxLength + ", raw " + maxRawBytes);
      }
    }
  }

  /** One ranged read: {@code length} bytes of pack {@code packId} from {@code start}, holding {@code items} in pack order. */
  public record Range<T>(String packId, long start, int length, int rawBytes, List<T> items) {
  }

  /**
   * The reads that fetch every item, each item's chunk exactly once. Packs come in the order of their first item,
   * reads within a pack by offset.
   *
   * @param entryOf where an item's chunk lies
   */
  public static <T> List<Range<T>> plan(Iterable<T> items, Function<T, IndexEntry> entryOf, Limits limits) {
    Map<String, List<T>> byPack = new LinkedHashMap<>();
    for (T item : items) {
      byPack.computeIfAbsent(entryOf.apply(item).packId(), k -> new ArrayList<>()).add(item);
    }
    List<Range<T>> ranges = new ArrayList<>();
    for (Map.Entry<String, List<T>> pack : byPack.entrySet()) {
      List<T> chunks = pack.getValue();
      chunks.sort(Comparator.comparingInt(c -> entryOf.apply(c).offset()));
      List<T> run = new ArrayList<>();
      long start = -1;
      long end = -1;
      long raw = 0;
      for (T c : chunks) {
        IndexEntry e = entryOf.apply(c);
        long cs = e.offset();
        long ce = cs + e.length();
        if (!run.isEmpty() && (cs - end > limits.maxGap() || ce - start > limits.maxLength()
            || raw + e.rawLength() > limits.maxRawBytes())) {
          ranges.add(new Range<>(pack.getKey(), start, (int) (end - start), (int) raw, run));
          run = new ArrayList<>();
        }
        if (run.isEmpty()) {
          start = cs;
          raw = 0;
        }
        run.add(c);
        end = Math.max(end, ce);
        raw += e.rawLength();
      }
      if (!run.isEmpty()) {
        ranges.add(new Range<>(pack.getKey(), start, (int) (end - start), (int) raw, run));
      }
    }
    return ranges;
  }
}
