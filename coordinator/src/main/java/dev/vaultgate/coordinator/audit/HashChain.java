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

  /**
   * An event made ready to link: its lookup fields and its canonical JSON, the expensive part,
   * computed before the append lock is taken (on a worker), so that linking under the lock is only
   * string concatenation and hashing.
   */
  public record Prepared(ActivityEvent.Fields fields, String canonicalEvent) {
    public static Prepared of(ActivityEvent e) {
      return new Prepared(e.fields(), CanonicalJson.encode(e.record()));
    }
  }

  /** Links {@code events} after the row {@code (lastSeq, lastHash)} (0 and {@link #GENESIS} for an empty log). */
  public static List<Link> append(long lastSeq, String lastHash, List<Prepared> events) {
    List<Link> out = new ArrayList<>(events.size());
    long seq = lastSeq;
    String prev = lastHash;
    for (Prepared e : events) {
      seq++;
      String canonical = canonical(seq, prev, e.canonicalEvent());
      String hash = CanonicalJson.sha256(canonical);
      out.add(new Link(seq, e.fields(), canonical, hash, prev));
      prev = hash;
    }
    return out;
  }

  public static String canonical(long seq, String prevHash, JsonObject record) {
    return CanonicalJson.encode(new JsonObject().put("seq", seq).put("prevHash", prevHash).put("event", record));
  }

  /**
   * The same text as {@link #canonical(long, String, JsonObject)} from the event's canonical JSON:
   * the keys {@code event < prevHash < seq} are already in sorted order, and a hex hash and a number
   * need no escaping ({@code HashChainTest} holds the two forms equal).
   */
  static String canonical(long seq, String prevHash, String canonicalEvent) {
    return "{\"event\":" + canonicalEvent + ",\"prevHash\":\"" + prevHash + "\",\"seq\":" + seq + "}";
  }
}
