package dev.vaultgate.vault.crypto;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * The secret keys of one vault, derived from 64 bytes of key material that the master key wraps:
 * the AES-256 data key that seals every object, the HMAC-SHA256 key that names chunks, and the seed
 * of the block fingerprint. Thread-safe.
 */
public final class VaultKeys {
  public static final int MATERIAL_BYTES = 64;
  public static final int CHUNK_ID_BYTES = 32;

  private final SecretKeySpec dataKey;
  private final SecretKeySpec idKey;
  private final long[] fingerprintSeed;
  private final ThreadLocal<Mac> idMac;

  private VaultKeys(byte[] material) {
    if (material.length != MATERIAL_BYTES) {
      throw new IllegalArgumentException("vault key material must be " + MATERIAL_BYTES + " bytes");
    }
    this.dataKey = new SecretKeySpec(Arrays.copyOfRange(material, 0, 32), "AES");
    this.idKey = new SecretKeySpec(Arrays.copyOfRange(material, 32, 64), "HmacSHA256");
    this.idMac = ThreadLocal.withInitial(() -> newMac(idKey));
    ByteBuffer seed = ByteBuffer.wrap(mac("vaultgate block fingerprint seed".getBytes(StandardCharsets.US_ASCII)));
    this.fingerprintSeed = new long[] {seed.getLong(), seed.getLong(), seed.getLong(), seed.getLong()};
  }

  public static VaultKeys fromMaterial(byte[] material) {
    return new VaultKeys(material);
  }

  public static byte[] newMaterial() {
    return Secrets.randomBytes(MATERIAL_BYTES);
  }

  private static Mac newMac(SecretKeySpec key) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(key);
      return m;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
    }
  }

  /** The chunk id of {@code data[off, off+len)}: HMAC-SHA256 under the vault's id key. */
  public byte[] chunkId(byte[] data, int off, int len) {
    Mac m = idMac.get();
    m.update(data, off, len);
    return m.doFinal();
  }

  /** Writes the chunk id of {@code data[off, off+len)} to {@code out[outOff, outOff+32)}, reusing this thread's Mac. */
  public void chunkIdInto(byte[] data, int off, int len, byte[] out, int outOff) {
    Mac m = idMac.get();
    m.update(data, off, len);
    try {
      m.doFinal(out, outOff);
    } catch (javax.crypto.ShortBufferException e) {
      throw new IllegalArgumentException("no room for a chunk id at " + outOff + " of " + out.length, e);
    }
  }

  public byte[] mac(byte[] data) {
    return chunkId(data, 0, data.length);
  }

  /** Seals with the data key; {@code aad} binds the ciphertext to its name so it cannot be swapped for another. */
  public byte[] seal(byte[] plaintext, int off, int len, byte[] aad) {
    return Aead.seal(dataKey, plaintext, off, len, aad);
  }

  public byte[] open(byte[] sealed, int off, int len, byte[] aad) {
    return Aead.open(dataKey, sealed, off, len, aad);
  }

  /** Opens into {@code out} without allocating; see {@link Aead#openInto}. */
  public int openInto(byte[] sealed, int off, int len, byte[] aad, byte[] out, int outOff) {
    return Aead.openInto(dataKey, sealed, off, len, aad, out, outOff);
  }

  public long[] fingerprintSeed() {
    return fingerprintSeed.clone();
  }
}
