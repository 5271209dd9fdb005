package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.LossRecord;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.storage.ObjectInfo;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Which segments of a listing of {@code index/} count: a marked one does not, whether or not it is still stored. */
class IndexListingTest {
  private static final String A = "01a2101253591364265f2b959ac54e81";
  private static final String B = "01a2101253591364265f2b959ac54e82";
  private static final String C = "01a2101253591364265f2b959ac54e83";
  private static final String GONE = "01a2101253591364265f2b959ac54e84";

  private static ObjectInfo object(String key) {
    return new ObjectInfo(key, 10);
  }

  @Test
  void markedSegmentsDoNotCountAndMarksOfDeletedSegmentsAreStillListed() {
    IndexListing listing = IndexListing.of(List.of(object(ObjectKeys.index(A)), object(ObjectKeys.supersededMark(A)),
        object(ObjectKeys.index(B)), object(ObjectKeys.index(C)), object(ObjectKeys.supersededMark(GONE)),
        object("index/.tmp-upload"), object("index/" + A + ".other")));
    assertEquals(List.of(B, C), listing.segments(), "in the listing's order, A left out");
    assertEquals(Set.of(A), listing.superseded(), "stored and marked");
    assertEquals(Set.of(A, GONE), listing.marks());
  }

  @Test
  void lostRecordsAreListedOldestFirstAndNeverTakenForSegments() {
    IndexListing listing = IndexListing.of(List.of(object(LossRecord.LOST.key(C)), object(ObjectKeys.index(A)),
        object(LossRecord.LOST.key(B)), object("index/not-an-id.lost"), object(LossRecord.DAMAGED.key(GONE))));
    assertEquals(List.of(A), listing.segments());
    assertEquals(List.of(B, C), listing.lostRecords());
    assertEquals(List.of(GONE), listing.damagedRecords());
    assertNull(LossRecord.LOST.idOf(LossRecord.DAMAGED.key(C)));
    assertNull(ObjectKeys.idOf(LossRecord.DAMAGED.key(C)));
    assertEquals(C, LossRecord.LOST.idOf("index/" + C + ".lost"));
    assertNull(LossRecord.LOST.idOf(ObjectKeys.supersededMark(C)));
    assertNull(ObjectKeys.idOf(LossRecord.LOST.key(C)));
  }

  @Test
  void aMarkIsRecognisedOnlyForASegmentId() {
    assertEquals(A, ObjectKeys.supersededIdOf("index/" + A + ".superseded"));
    assertNull(ObjectKeys.supersededIdOf("index/" + A));
    assertNull(ObjectKeys.supersededIdOf("index/not-an-id.superseded"));
    assertNull(ObjectKeys.supersededIdOf("packs/" + A + ".superseded"));
    assertNull(ObjectKeys.idOf(ObjectKeys.supersededMark(A)), "a mark is never taken for a segment");
  }
}
