package dev.vaultgate.coordinator.audit;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Checks rows of the activity log in seq order, one at a time (so a log of any length streams
 * through it), against the chain and against the anchors signed digests give, and says where it
 * breaks and how: a row whose content no longer hashes to its hash (edited), a missing seq
 * (dropped), a row that carries another seq inside its hashed content (moved or reordered), a row
 * whose predecessor's hash changed after it was written (predecessor rewritten with a recomputed
 * hash), a lookup column that disagrees with the hashed event, a hash that differs from the one a
 * digest signed (the chain was recomputed from there on), and a log shorter than a digest says.
 * Pure: no I/O.
 */
public final class ChainVerifier {

  public enum Kind { EDITED, DROPPED, REORDERED, PREDECESSOR_REWRITTEN, COLUMN_MISMATCH, DIGEST_MISMATCH, TRUNCATED }

  /** One break: the seq it is found at, what kind, and a line saying what differs. */
  public record Finding(long seq, Kind kind, String detail) {
    public String line() {
      return "seq " + seq + ": " + kind.name().toLowerCase().replace('_', ' ') + ": " + detail;
    }
  }

  private final long fromSeq;
  private final Map<Long, DigestAnchor> anchors;
  private final List<Finding> findings = new ArrayList<>();
  private long lastSeq;
  private String lastHash;
  private long rows;

  /** Where a digest says the chain stood: seq {@code seq} had hash {@code hash}. */
  public record DigestAnchor(long seq, String hash, String digestName) {}

  /**
   * @param fromSeq the first seq to check (1 checks the whole log and that it starts at genesis)
   * @param anchors the digests' last rows, checked as the rows pass
   */
  public ChainVerifier(long fromSeq, List<DigestAnchor> anchors) {
    this.fromSeq = fromSeq;
    this.lastSeq = fromSeq - 1;
    this.anchors = new TreeMap<>();
    for (DigestAnchor a : anchors) if (a.seq() >= fromSeq) this.anchors.put(a.seq(), a);
  }

  public void check(PgActivityLogStore.StoredRow row) {
    rows++;
    long expected = lastSeq + 1;
    boolean follows = row.seq() == expected;
    if (row.seq() > expected) {
      findings.add(new Finding(expected, Kind.DROPPED, row.seq() == expected + 1
          ? "row is missing (seq " + lastSeq + " is followed by seq " + row.seq() + ")"
          : "rows " + expected + ".." + (row.seq() - 1) + " are missing (seq " + lastSeq + " is followed by seq "
              + row.seq() + ")"));
      for (long s = expected; s < row.seq(); s++) anchors.remove(s);
    }
    JsonObject content;
    try {
      content = new JsonObject(row.canonical());
    } catch (RuntimeException e) {
      content = null;
      findings.add(new Finding(row.seq(), Kind.EDITED, "its content is no longer JSON"));
    }
    String computed = CanonicalJson.sha256(row.canonical());
    if (!computed.equals(row.hash())) {
      findings.add(new Finding(row.seq(), Kind.EDITED, "its content hashes to " + computed + " but the row's hash is "
          + row.hash() + " (content edited after it was written)"));
    }
    if (content != null) {
      long hashedSeq = content.getLong("seq", -1L);
      if (hashedSeq != row.seq()) {
        findings.add(new Finding(row.seq(), Kind.REORDERED, "the row stored at seq " + row.seq()
            + " was written as seq " + hashedSeq + " (rows moved or reordered)"));
      }
      String hashedPrev = content.getString("prevHash");
      if (!Objects.equals(hashedPrev, row.prevHash())) {
        findings.add(new Finding(row.seq(), Kind.EDITED, "its prev_hash column is " + row.prevHash()
            + " but it was written after " + hashedPrev));
      }
      if (follows && lastHash != null && !lastHash.equals(hashedPrev)) {
        findings.add(new Finding(lastSeq, Kind.PREDECESSOR_REWRITTEN, "seq " + row.seq() + " was written after a row"
            + " hashing to " + hashedPrev + ", but seq " + lastSeq + " now hashes to " + lastHash
            + " (seq " + lastSeq + " replaced with a recomputed hash, or a row inserted)"));
      }
      if (row.seq() == 1 && !HashChain.GENESIS.equals(hashedPrev)) {
        findings.add(new Finding(1, Kind.EDITED, "the first row does not start the chain (its prevHash is "
            + hashedPrev + ")"));
      }
      JsonObject event = content.getJsonObject("event");
      if (event != null) compareColumns(row, event);
    }
    DigestAnchor anchor = anchors.remove(row.seq());
    if (anchor != null && !anchor.hash().equals(row.hash())) {
      findings.add(new Finding(row.seq(), Kind.DIGEST_MISMATCH, "digest " + anchor.digestName() + " signed hash "
          + anchor.hash() + " for this row, the log has " + row.hash()
          + " (the chain was rewritten at or before this row and its hashes recomputed)"));
    }
    lastSeq = row.seq();
    lastHash = row.hash();
  }

  private void compareColumns(PgActivityLogStore.StoredRow row, JsonObject event) {
    ActivityEvent.Fields hashed;
    try {
      hashed = ActivityEvent.fieldsOf(event);
    } catch (RuntimeException e) {
      findings.add(new Finding(row.seq(), Kind.EDITED, "its hashed event is not a complete record: " + e.getMessage()));
      return;
    }
    ActivityEvent.Fields c = row.columns();
    column(row.seq(), "event_id", c.eventId(), hashed.eventId());
    column(row.seq(), "event_time", c.eventTime(), hashed.eventTime());
    column(row.seq(), "account_id", c.accountId(), hashed.accountId());
    column(row.seq(), "event_source", c.eventSource(), hashed.eventSource());
    column(row.seq(), "event_name", c.eventName(), hashed.eventName());
    column(row.seq(), "username", c.username(), hashed.username());
    column(row.seq(), "access_key_id", c.accessKeyId(), hashed.accessKeyId());
    column(row.seq(), "read_only", c.readOnly(), hashed.readOnly());
    column(row.seq(), "resource_names", c.resourceNames(), hashed.resourceNames());
    column(row.seq(), "resource_types", c.resourceTypes(), hashed.resourceTypes());
  }

  private void column(long seq, String name, Object stored, Object hashed) {
    if (!Objects.equals(stored, hashed)) {
      findings.add(new Finding(seq, Kind.COLUMN_MISMATCH, "column " + name + " says " + stored
          + " but the hashed event says " + hashed + " (column edited)"));
    }
  }

  /** Call after the last row: digests that point past the end of the log. */
  public List<Finding> finish() {
    for (DigestAnchor a : anchors.values()) {
      if (a.seq() > lastSeq) {
        findings.add(new Finding(lastSeq + 1, Kind.TRUNCATED, "digest " + a.digestName() + " says the log reached seq "
            + a.seq() + ", but it ends at seq " + lastSeq + " (rows " + (lastSeq + 1) + ".." + a.seq() + " dropped)"));
      }
    }
    anchors.clear();
    return findings();
  }

  public List<Finding> findings() {
    return List.copyOf(findings);
  }

  public long rowsChecked() {
    return rows;
  }

  public long lastSeq() {
    return lastSeq;
  }

  public long fromSeq() {
    return fromSeq;
  }
}
