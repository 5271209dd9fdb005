package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.LossRecord;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.storage.ObjectInfo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a listing of {@code index/} says: the index segments that count, and those superseded.
 *
 * <p>In a locked vault a segment often cannot be deleted when a gc wants it gone: a later point that reuses some of
 * its packs extended its retention. Yet other packs it names may be garbage whose own retention has ended. gc then
 * writes a new segment with the entries of the packs that stay, marks the old one superseded
 * ({@link ObjectKeys#supersededMark}, retained as long as the old segment), and only then deletes the garbage packs;
 * the old segment and its mark go once Object Lock lets them. A superseded segment is never read into an index, so the
 * index never names a deleted pack, and a gc never has to keep a garbage pack for the sake of a segment.
 *
 * <p>Records of lost chunks are listed too, which the index no longer names: those of packs found missing
 * ({@link LossRecord#LOST}, {@link IndexRepair}) and those a check found damaged ({@link LossRecord#DAMAGED}).
 */
public record IndexListing(List<String> segments, Set<String> superseded, Set<String> marks, List<String> lostRecords,
                           List<String> damagedRecords) {
  /**
   * @param segments    the segments that count, in the listing's order
   * @param superseded  the segments still stored that a mark supersedes
   * @param marks       the segments with a mark, stored or not (a mark may outlive its segment)
   * @param lostRecords    the records of chunks lost with their packs ({@link LossRecord#LOST}), oldest first
   * @param damagedRecords the records of chunks found damaged ({@link LossRecord#DAMAGED}), oldest first
   */
  public IndexListing {
    segments = List.copyOf(segments);
    superseded = Set.copyOf(superseded);
    marks = Set.copyOf(marks);
    lostRecords = List.copyOf(lostRecords);
    damagedRecords = List.copyOf(damagedRecords);
  }

  /** A listing of nothing: before the first. */
  static final IndexListing EMPTY = new IndexListing(List.of(), Set.of(), Set.of(), List.of(), List.of());

  /** The records of {@code kind}, oldest first. */
  public List<String> records(LossRecord kind) {
    return kind == LossRecord.LOST ? lostRecords : damagedRecords;
  }

  public static IndexListing of(List<ObjectInfo> objects) {
    List<String> listed = new ArrayList<>();
    Set<String> marks = new HashSet<>();
    List<String> lost = new ArrayList<>();
    List<String> damaged = new ArrayList<>();
    for (ObjectInfo o : objects) {
      String segment = ObjectKeys.idOf(o.key());
      if (segment != null && o.key().equals(ObjectKeys.index(segment))) {
        listed.add(segment);
      }
      String marked = ObjectKeys.supersededIdOf(o.key());
      if (marked != null) {
        marks.add(marked);
      }
      String record = LossRecord.LOST.idOf(o.key());
      if (record != null) {
        lost.add(record);
      }
      String damagedRecord = LossRecord.DAMAGED.idOf(o.key());
      if (damagedRecord != null) {
        damaged.add(damagedRecord);
      }
    }
    Collections.sort(lost); // ids begin with their time
    Collections.sort(damaged);
    List<String> segments = new ArrayList<>();
    Set<String> superseded = new HashSet<>();
    for (String s : listed) {
      if (marks.contains(s)) {
        superseded.add(s);
      } else {
        segments.add(s);
      }
    }
    return new IndexListing(segments, superseded, marks, lost, damaged);
  }
}
