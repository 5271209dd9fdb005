package dev.vaultgate.coordinator.audit;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Links events into the chain: row {@code n} hashes the canonical JSON {@code {"event", "prevHash",
 * "seq"}}, so its hash covers its own position and the whole chain before it. The first row's
 * previous hash is {@link #GENESIS}.
 */
public final class HashChain {

  public static final String GENESIS = "0".repeat(64);

  /** A row as stored: its position, the exact hashed text, its hash and the hash before it. */
  public record Link(long seq, ActivityEvent.Fields fields, String canonical, String hash, String prevHash) {}

  private HashChain() {}

  /** Links {@code events} after the row {@code (lastSeq, lastHash)} (0 and {@link #GENESIS} for an empty log). */
  public static List<Link> append(long lastSeq, String lastHash, List<ActivityEvent> events) {
    List<Link> out = new ArrayList<>(events.size());
    long seq = lastSeq;
    String prev = lastHash;
    for (ActivityEvent e : events) {
      seq++;
      String canonical = canonical(seq, prev, e.record());
      String hash = CanonicalJson.sha256(canonical);
      out.add(new Link(seq, e.fields(), canonical, hash, prev));
      prev = hash;
    }
    return out;
  }

  public static String canonical(long seq, String prevHash, JsonObject record) {
    return CanonicalJson.encode(new JsonObject().put("seq", seq).put("prevHash", prevHash).put("event", record));
  }
}
