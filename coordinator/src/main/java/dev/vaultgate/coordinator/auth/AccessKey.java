package dev.vaultgate.coordinator.auth;

import java.security.SecureRandom;

/** An access key the coordinator issued, and the account it belongs to. */
public record AccessKey(String accessKeyId, String secretAccessKey, String accountId) {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();
  private static final char[] SECRET_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();

  /** A fresh key in AWS's shape: a 20-character id starting {@code AKIA}, a 40-character secret. */
  public static AccessKey generate(String accountId) {
    return new AccessKey("AKIA" + random(ID_ALPHABET, 16), random(SECRET_ALPHABET, 40), accountId);
  }

  private static String random(char[] alphabet, int length) {
    char[] out = new char[length];
    for (int i = 0; i < length; i++) out[i] = alphabet[RANDOM.nextInt(alphabet.length)];
    return new String(out);
  }

  @Override
  public String toString() {
    return "AccessKey[" + accessKeyId + ", account " + accountId + "]";
  }
}
