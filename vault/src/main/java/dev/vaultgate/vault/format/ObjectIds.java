package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.Secrets;

import java.util.HexFormat;

/**
 * Ids of packs, index segments and recovery points: 128 bits as 32 hex digits. The first 48 bits are the
 * creation time in milliseconds so that listings sort by age; the rest is random.
 */
public final class ObjectIds {
  private ObjectIds() {
  }

  public static String newId() {
    byte[] b = Secrets.randomBytes(16);
    long now = System.currentTimeMillis();
    for (int i = 5; i >= 0; i--) {
      b[i] = (byte) now;
      now >>>= 8;
    }
    return HexFormat.of().formatHex(b);
  }

  public static byte[] toBytes(String id) {
    return HexFormat.of().parseHex(id);
  }

  public static String fromBytes(byte[] b, int off) {
    return HexFormat.of().formatHex(b, off, off + 16);
  }
}
