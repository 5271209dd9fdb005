package dev.vaultgate.vault.format;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A fast keyed 128-bit fingerprint of a block, used only to see that the block at an offset is unchanged
 * since the previous recovery point, so that it is neither hashed with HMAC nor compressed, sealed or uploaded.
 *
 * <p>It is not the chunk's name (that is the HMAC-SHA256 chunk id) and not a security primitive. Each
 * 16 bytes are folded by a 64x64->128-bit multiply ("mum") of the data XOR secret seed words derived from the
 * vault key, and that term is mixed into the lane by {@code lane = (lane ^ term) * oddConstant}: a bijection of
 * the lane, so no data word can make it forget what came before (a plain {@code mum} chain collapses to zero
 * when a word equals the constant it is XORed with). Ordinary data collides with probability about 2^-128,
 * an outsider cannot aim for a collision without the seed, and it runs at memory speed, several times faster
 * than SHA-256.
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
    long a = s0 ^ P0;
    long b = s1 ^ P1;
    int i = off;
    int end = off + len;
    // Two lanes of 16 bytes each per step keep two multiply chains in flight.
    for (; i + 32 <= end; i += 32) {
      a = (a ^ mum((long) LONGS.get(data, i) ^ s0, (long) LONGS.get(data, i + 8) ^ s1)) * P2;
      b = (b ^ mum((long) LONGS.get(data, i + 16) ^ s2, (long) LONGS.get(data, i + 24) ^ s3)) * P3;
    }
    for (; i + 8 <= end; i += 8) {
      a = (a ^ mum((long) LONGS.get(data, i) ^ s2, b ^ s3)) * P2;
    }
    long last = 0;
    for (int shift = 0; i < end; i++, shift += 8) {
      last |= (data[i] & 0xffL) << shift;
    }
    b = (b ^ mum(last ^ s0, len ^ s1)) * P3;
    long h0 = mum(a ^ P0, b ^ s2);
    long h1 = mum(b ^ P1, a ^ s3);
    LONGS.set(out, outOff, h0 ^ Long.rotateLeft(h1, 32) ^ a);
    LONGS.set(out, outOff + 8, h1 ^ Long.rotateLeft(h0, 32) ^ b);
  }

  /**
   * The same fingerprint of {@code data[off, off+len)} (absolute indexes; the buffer's position, limit and
   * order are left alone), so a block read into a direct buffer is fingerprinted where it lies, without a copy.
   */
  public void fingerprint(ByteBuffer data, int off, int len, byte[] out, int outOff) {
    ByteBuffer le = data.order() == ByteOrder.LITTLE_ENDIAN ? data : data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long a = s0 ^ P0;
    long b = s1 ^ P1;
    int i = off;
    int end = off + len;
    for (; i + 32 <= end; i += 32) {
      a = (a ^ mum(le.getLong(i) ^ s0, le.getLong(i + 8) ^ s1)) * P2;
      b = (b ^ mum(le.getLong(i + 16) ^ s2, le.getLong(i + 24) ^ s3)) * P3;
    }
    for (; i + 8 <= end; i += 8) {
      a = (a ^ mum(le.getLong(i) ^ s2, b ^ s3)) * P2;
    }
    long last = 0;
    for (int shift = 0; i < end; i++, shift += 8) {
      last |= (le.get(i) & 0xffL) << shift;
    }
    b = (b ^ mum(last ^ s0, len ^ s1)) * P3;
    long h0 = mum(a ^ P0, b ^ s2);
    long h1 = mum(b ^ P1, a ^ s3);
    LONGS.set(out, outOff, h0 ^ Long.rotateLeft(h1, 32) ^ a);
    LONGS.set(out, outOff + 8, h1 ^ Long.rotateLeft(h0, 32) ^ b);
  }

  public byte[] fingerprint(byte[] data, int off, int len) {
    byte[] out = new byte[16];
    fingerprint(data, off, len, out, 0);
    return out;
  }
}
