package dev.vaultgate.coordinator.notify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code X-Vaultgate-Signature} header of webhook deliveries: {@code t=<unix seconds>,v1=<hex>}
 * where hex is HMAC-SHA256, keyed with the subscription's signing secret (its UTF-8 bytes), of
 * {@code "<t>." + body}. A receiver recomputes it over the raw body it got, compares in constant
 * time, and rejects a {@code t} far from its clock (a replayed delivery).
 */
public final class WebhookSignature {

  public static final String HEADER = "X-Vaultgate-Signature";
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookSignature() {}

  /** A new signing secret: 32 random bytes, URL-safe base64. */
  public static String newSecret() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  public static String header(String secret, long epochSeconds, byte[] body) {
    return "t=" + epochSeconds + ",v1=" + HexFormat.of().formatHex(mac(secret, epochSeconds, body));
  }

  /** What a receiver does: true when the header is well formed, signed with the secret, and within the skew. */
  public static boolean verify(String secret, String header, byte[] body, long nowEpochSeconds, long maxSkewSeconds) {
    if (header == null) return false;
    Long t = null;
    byte[] given = null;
    for (String part : header.split(",")) {
      String p = part.trim();
      try {
        if (p.startsWith("t=")) t = Long.parseLong(p.substring(2));
        else if (p.startsWith("v1=")) given = HexFormat.of().parseHex(p.substring(3));
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    if (t == null || given == null || Math.abs(nowEpochSeconds - t) > maxSkewSeconds) return false;
    return MessageDigest.isEqual(given, mac(secret, t, body));
  }

  private static byte[] mac(String secret, long epochSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((epochSeconds + ".").getBytes(StandardCharsets.US_ASCII));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
