package dev.vaultgate.vault.crypto;

import java.security.SecureRandom;

/** Random bytes for keys and nonces. */
public final class Secrets {
  private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);

  private Secrets() {
  }

  public static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.get().nextBytes(b);
    return b;
  }

  public static void fill(byte[] b, int off, int len) {
    if (off == 0 && len == b.length) {
      RANDOM.get().nextBytes(b);
    } else {
      byte[] tmp = randomBytes(len);
      System.arraycopy(tmp, 0, b, off, len);
    }
  }
}
