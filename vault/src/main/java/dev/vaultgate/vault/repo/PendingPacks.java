package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.storage.Retention;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Packs that are stored but not yet named by a stored index segment, in the order they were stored: what the next
 * index segments will name. A pack is {@code waiting} until a segment write takes it, then {@code writing} until that
 * segment is stored ({@link #written}) or its write fails ({@link #unwritten}: waiting again, first in line). Both
 * count as pending: their chunks are in the process's index, and a rebuilt index must keep them. Thread-safe.
 */
final class PendingPacks {
  /** A stored pack's entries and the Object Lock retention it was written with (null: none). */
  record Pack(String packId, List<IndexEntry> entries, Retention retention) {
  }

  private final List<Pack> waiting = new ArrayList<>();
  private final List<Pack> writing = new ArrayList<>();
  private int waitingEntries;

  /** Adds a stored pack; true when the packs waiting now hold at least {@code segmentEntries} entries. */
  synchronized boolean add(Pack pack, int segmentEntries) {
    waiting.add(pack);
    waitingEntries += pack.entries().size();
    return waitingEntries >= segmentEntries;
  }

  /**
   * Takes every waiting pack for writing, grouped into segments of at most {@code segmentEntries} entries in store
   * order (a pack is never split: one larger than that is a segment of its own).
   */
  synchronized List<List<Pack>> take(int segmentEntries) {
    List<List<Pack>> segments = new ArrayList<>();
    List<Pack> current = new ArrayList<>();
    int entries = 0;
    for (Pack p : waiting) {
      if (!current.isEmpty() && entries + p.entries().size() > segmentEntries) {
        segments.add(current);
        current = new ArrayList<>();
        entries = 0;
      }
      current.add(p);
      entries += p.entries().size();
    }
    if (!current.isEmpty()) {
      segments.add(current);
    }
    writing.addAll(waiting);
    waiting.clear();
    waitingEntries = 0;
    return segments;
  }

  /** The packs of a stored segment are pending no more. */
  synchronized void written(List<Pack> segment) {
    writing.removeAll(segment);
  }

  /** Segments whose write failed or never began: their packs wait again, ahead of those stored since. */
  synchronized void unwritten(List<List<Pack>> segments) {
    List<Pack> back = new ArrayList<>();
    segments.forEach(back::addAll);
    writing.removeAll(back);
    waiting.addAll(0, back);
    waitingEntries += back.stream().mapToInt(p -> p.entries().size()).sum();
  }

  /** Every pending pack, waiting or being written. */
  synchronized List<Pack> all() {
    List<Pack> all = new ArrayList<>(writing);
    all.addAll(waiting);
    return all;
  }

  /** Ids of every pending pack. */
  synchronized Set<String> packIds() {
    Set<String> ids = new HashSet<>();
    writing.forEach(p -> ids.add(p.packId()));
    waiting.forEach(p -> ids.add(p.packId()));
    return ids;
  }

  /** Forgets every pending pack: what it answers were waiting or being written. */
  synchronized List<Pack> clear() {
    List<Pack> all = all();
    waiting.clear();
    writing.clear();
    waitingEntries = 0;
    return all;
  }

  /** The least retention that covers every pack of {@code segment} (null when none has one). */
  static Retention retentionOf(List<Pack> segment) {
    Retention longest = null;
    for (Pack p : segment) {
      if (p.retention() != null) {
        longest = longest == null ? p.retention() : longest.union(p.retention());
      }
    }
    return longest;
  }
}
