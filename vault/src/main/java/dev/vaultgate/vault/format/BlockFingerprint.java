package dev.vaultgate.vault.format;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A fast keyed 128-bit fingerprint of a block, used only to see that the block at an offset is unchanged
 * since the previous recovery point, so that it is neither hashed with HMAC nor compressed, sealed or uploaded.
 *
 * <p>It is not the chunk's name (that is the HMAC-SHA256 chunk id) and not a security primitive: it is a
 * multiply-mix hash (wyhash's "mum" step, two independent lanes) seeded with a secret derived from the vault
 * key, so ordinary data collides with probability about 2^-128 and an outsider cannot aim for a collision
 * without the seed. It runs at memory speed, several times faster than SHA-256.
 */
public final class BlockFingerprint {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long P0 = 0xa0761d6478bd642fL;
  private static final long P1 = 0xe7037ed1a0b428dbL;
  private static final long P2 = 0x8ebc6af09c88c6e3L;
  private static final long P3 = 0x589965cc75374cc3L;

  private final long s0;
  private final long s1;
  private final long s2;
  private final long s3;

  public BlockFingerprint(long[] seed) {
    this.s0 = seed[0];
    this.s1 = seed[1];
    this.s2 = seed[2];
    this.s3 = seed[3];
  }

  private static long mum(long a, long b) {
    return (a * b) ^ Math.multiplyHigh(a, b);
  }

  /** Writes the 16-byte fingerprint of {@code data[off, off+len)} into {@code out[outOff, outOff+16)}. */
  public void fingerprint(byte[] data, int off, int len, byte[] out, int outOff) {
    long a = s0;
    long b = s1;
    int i = off;
    int end = off + len;
    // Two lanes of 16 bytes each per step keep two multiply chains in flight.
    for (; i + 32 <= end; i += 32) {
      a = mum((long) LONGS.get(data, i) ^ P0, (long) LONGS.get(data, i + 8) ^ a);
      b = mum((long) LONGS.get(data, i + 16) ^ P1, (long) LONGS.get(data, i + 24) ^ b);
    }
    long tail = s2;
    for (; i + 8 <= end; i += 8) {
      tail = mum((long) LONGS.get(data, i) ^ P2, tail ^ P3);
    }
    long last = 0;
    for (int shift = 0; i < end; i++, shift += 8) {
      last |= (data[i] & 0xffL) << shift;
    }
    tail = mum(last ^ P0, tail ^ len);
    long h0 = mum(a ^ P1 ^ tail, b ^ s3);
    long h1 = mum(b ^ P2 ^ h0, a ^ tail ^ s3);
    LONGS.set(out, outOff, mum(h0 ^ P3, h1 ^ s2));
    LONGS.set(out, outOff + 8, mum(h1 ^ P0, h0 ^ s1));
  }

  public byte[] fingerprint(byte[] data, int off, int len) {
    byte[] out = new byte[16];
    fingerprint(data, off, len, out, 0);
    return out;
  }
}
