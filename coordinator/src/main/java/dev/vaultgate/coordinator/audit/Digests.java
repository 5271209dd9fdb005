package dev.vaultgate.coordinator.audit;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * A digest seals a stretch of the chain: {@code {"version", "firstSeq", "lastSeq", "lastHash",
 * "createdAt", "previousDigestHash"}}, signed. The object written to S3 is {@code {"digest": ...,
 * "signatureAlgorithm": "Ed25519", "publicKey": <base64 X.509>, "signature": <base64>}}; the
 * signature and the digest's hash are over the digest's canonical JSON. Pure.
 */
public final class Digests {

  /** A digest object's key under the location's prefix; zero-padded so names sort by seq. */
  public static String objectKey(long lastSeq) {
    return String.format("digests/%020d.json", lastSeq);
  }

  private Digests() {}

  public static JsonObject digest(long firstSeq, long lastSeq, String lastHash, Instant createdAt,
      String previousDigestHash) {
    return new JsonObject()
        .put("version", 1)
        .put("firstSeq", firstSeq)
        .put("lastSeq", lastSeq)
        .put("lastHash", lastHash)
        .put("createdAt", createdAt.toString())
        .put("previousDigestHash", previousDigestHash == null ? HashChain.GENESIS : previousDigestHash);
  }

  public static String hash(JsonObject digest) {
    return CanonicalJson.sha256(CanonicalJson.encode(digest));
  }

  /** The signed object's bytes. */
  public static byte[] signed(JsonObject digest, AuditSigningKey key) {
    byte[] payload = CanonicalJson.encode(digest).getBytes(StandardCharsets.UTF_8);
    return new JsonObject()
        .put("digest", digest)
        .put("signatureAlgorithm", AuditSigningKey.ALGORITHM)
        .put("publicKey", key.publicKeyBase64())
        .put("signature", Base64.getEncoder().encodeToString(key.sign(payload)))
        .encodePrettily()
        .getBytes(StandardCharsets.UTF_8);
  }
}
