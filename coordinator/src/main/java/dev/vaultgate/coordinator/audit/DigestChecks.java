package dev.vaultgate.coordinator.audit;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Checks digest objects on their own: each parses, is signed by a trusted key, and chains to the
 * one before it (its previousDigestHash, and a seq range that starts where the last one ended).
 * What they sealed (seq to hash) comes out as anchors for the {@link ChainVerifier}. Pure.
 */
public final class DigestChecks {

  /** A digest object as read from S3. */
  public record StoredDigest(String name, byte[] bytes) {}

  /** Anchors of the digests that check, the problems of those that do not, and how many there were. */
  public record Result(List<ChainVerifier.DigestAnchor> anchors, List<String> problems, int digestsChecked) {
    public static final Result NONE = new Result(List.of(), List.of(), 0);

    /** The same with more problems. */
    public Result withProblems(List<String> more) {
      List<String> all = new ArrayList<>(problems);
      all.addAll(more);
      return new Result(anchors, all, digestsChecked);
    }
  }

  private record Parsed(String name, JsonObject digest, long firstSeq, long lastSeq) {}

  private DigestChecks() {}

  /** @param trustedKeys base64 X.509 public keys; empty trusts none (every digest fails) */
  public static Result check(List<StoredDigest> digests, Set<String> trustedKeys) {
    List<String> problems = new ArrayList<>();
    List<Parsed> good = new ArrayList<>();
    for (StoredDigest d : digests) {
      JsonObject o;
      try {
        o = new JsonObject(new String(d.bytes(), StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        problems.add("digest " + d.name() + ": not JSON");
        continue;
      }
      JsonObject digest = o.getJsonObject("digest");
      String key = o.getString("publicKey");
      String signature = o.getString("signature");
      if (digest == null || key == null || signature == null || !digest.containsKey("lastSeq")) {
        problems.add("digest " + d.name() + ": missing digest, publicKey or signature");
        continue;
      }
      if (!trustedKeys.contains(key)) {
        problems.add("digest " + d.name() + ": signed by a key that is not trusted (pass its public key with"
            + " --public-key)");
        continue;
      }
      byte[] sig;
      try {
        sig = Base64.getDecoder().decode(signature);
      } catch (IllegalArgumentException e) {
        sig = new byte[0];
      }
      if (!AuditSigningKey.verify(key, CanonicalJson.encode(digest).getBytes(StandardCharsets.UTF_8), sig)) {
        problems.add("digest " + d.name() + ": signature mismatch (the digest was edited or forged)");
        continue;
      }
      good.add(new Parsed(d.name(), digest, digest.getLong("firstSeq"), digest.getLong("lastSeq")));
    }
    good.sort(Comparator.comparingLong(Parsed::lastSeq));
    List<ChainVerifier.DigestAnchor> anchors = new ArrayList<>();
    Parsed previous = null;
    for (Parsed p : good) {
      if (previous != null) {
        String expected = Digests.hash(previous.digest());
        if (!expected.equals(p.digest().getString("previousDigestHash"))) {
          problems.add("digest " + p.name() + ": previousDigestHash " + p.digest().getString("previousDigestHash")
              + " is not the hash of digest " + previous.name() + " (" + expected + "): a digest between them is"
              + " missing or was replaced");
        }
        if (p.firstSeq() != previous.lastSeq() + 1) {
          problems.add("digest " + p.name() + ": covers seq " + p.firstSeq() + ".." + p.lastSeq() + " but digest "
              + previous.name() + " ended at seq " + previous.lastSeq());
        }
      } else if (p.firstSeq() == 1 && !HashChain.GENESIS.equals(p.digest().getString("previousDigestHash"))) {
        problems.add("digest " + p.name() + ": the first digest names a previous digest that is missing");
      }
      anchors.add(new ChainVerifier.DigestAnchor(p.lastSeq(), p.digest().getString("lastHash"), p.name()));
      previous = p;
    }
    return new Result(anchors, problems, digests.size());
  }

  /** A digest the database recorded as written: its object key (under the location's prefix) and range. */
  public record Recorded(String objectKey, long firstSeq, long lastSeq) {}

  /**
   * The digests the coordinator recorded writing that are not in the bucket. A deleted digest in the
   * middle also breaks the next one's previousDigestHash; the last one only shows here (where the
   * bucket has no Object Lock to stop the deletion).
   */
  public static List<String> missing(List<StoredDigest> inBucket, List<Recorded> recorded) {
    List<String> problems = new ArrayList<>();
    for (Recorded r : recorded) {
      boolean found = inBucket.stream().anyMatch(d -> d.name().equals(r.objectKey())
          || d.name().endsWith("/" + r.objectKey()));
      if (!found) {
        problems.add("digest " + r.objectKey() + " (seq " + r.firstSeq() + ".." + r.lastSeq() + "): the coordinator"
            + " recorded writing it, but it is not in the bucket (deleted)");
      }
    }
    return problems;
  }
}
