package dev.vaultgate.vault.format;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.Zstd;

/**
 * How a chunk's plaintext was encoded before sealing: raw, or zstd when that made it smaller.
 * The encoding is authenticated with the chunk (it is part of the AAD).
 */
public final class ChunkEncoding {
  public static final byte RAW = 0;
  public static final byte ZSTD = 1;

  private static final int LEVEL = 1;
  private static final ThreadLocal<ZstdCompressCtx> COMPRESS = ThreadLocal.withInitial(() -> {
    ZstdCompressCtx c = new ZstdCompressCtx();
    c.setLevel(LEVEL);
    return c;
  });
  private static final ThreadLocal<ZstdDecompressCtx> DECOMPRESS = ThreadLocal.withInitial(ZstdDecompressCtx::new);
  private static final ThreadLocal<byte[]> SCRATCH = new ThreadLocal<>();

  private ChunkEncoding() {
  }

  /** The bytes to seal and their encoding; the array may be a reused scratch buffer, valid until the next call on this thread. */
  public record Encoded(byte encoding, byte[] data, int offset, int length) {
  }

  /**
   * Compresses {@code data[off, off+len)} and keeps the result only when it saves at least 1/32 of the size:
   * below that, the decompression on every restore costs more than the bytes saved.
   */
  public static Encoded encode(byte[] data, int off, int len) {
    if (looksIncompressible(data, off, len)) {
      return new Encoded(RAW, data, off, len);
    }
    int bound = (int) Zstd.compressBound(len);
    byte[] scratch = SCRATCH.get();
    if (scratch == null || scratch.length < bound) {
      scratch = new byte[bound];
      SCRATCH.set(scratch);
    }
    int n = COMPRESS.get().compressByteArray(scratch, 0, scratch.length, data, off, len);
    if (n < len - (len >>> 5)) {
      return new Encoded(ZSTD, scratch, 0, n);
    }
    return new Encoded(RAW, data, off, len);
  }

  /** Sampled bytes whose entropy is above this many bits per byte are not worth a zstd attempt. */
  private static final double INCOMPRESSIBLE_BITS = 7.2;
  private static final int SAMPLE_RUNS = 64;
  private static final int SAMPLE_RUN_BYTES = 64;
  private static final double[] NLOG2N = new double[SAMPLE_RUNS * SAMPLE_RUN_BYTES + 1];

  static {
    for (int n = 1; n < NLOG2N.length; n++) {
      NLOG2N[n] = n * Math.log(n) / Math.log(2);
    }
  }

  /**
   * Estimates whether zstd can shrink a block, from the byte entropy of 4 KiB sampled evenly across it (the
   * heuristic btrfs uses). Random and already-compressed or encrypted data sit near 8 bits per byte; zstd
   * would spend more time on them than on anything else only to give up. Costs about 1% of a zstd attempt.
   */
  static boolean looksIncompressible(byte[] data, int off, int len) {
    if (len < 4 * SAMPLE_RUNS * SAMPLE_RUN_BYTES) {
      return false;
    }
    int[] counts = new int[256];
    int stride = len / SAMPLE_RUNS;
    for (int r = 0; r < SAMPLE_RUNS; r++) {
      int at = off + r * stride;
      for (int i = 0; i < SAMPLE_RUN_BYTES; i++) {
        counts[data[at + i] & 0xff]++;
      }
    }
    int total = SAMPLE_RUNS * SAMPLE_RUN_BYTES;
    double sum = 0;
    for (int c : counts) {
      sum += NLOG2N[c];
    }
    double bitsPerByte = Math.log(total) / Math.log(2) - sum / total;
    return bitsPerByte > INCOMPRESSIBLE_BITS;
  }

  /**
   * Decodes {@code data[off, off+len)}, a chunk whose plaintext is {@code rawLength} bytes, into
   * {@code out[outOff, outOff+rawLength)}. A raw chunk is copied unless it already lies there.
   */
  public static void decodeInto(byte encoding, byte[] data, int off, int len, int rawLength, byte[] out, int outOff) {
    switch (encoding) {
      case RAW:
        if (len != rawLength) {
          throw new IllegalArgumentException("raw chunk is " + len + " bytes, index says " + rawLength);
        }
        if (data != out || off != outOff) {
          System.arraycopy(data, off, out, outOff, len);
        }
        return;
      case ZSTD:
        int n = DECOMPRESS.get().decompressByteArray(out, outOff, rawLength, data, off, len);
        if (n != rawLength) {
          throw new IllegalArgumentException("zstd chunk decodes to " + n + " bytes, index says " + rawLength);
        }
        return;
      default:
        throw new IllegalArgumentException("unknown chunk encoding " + encoding);
    }
  }

  /** Decodes a chunk whose plaintext is {@code rawLength} bytes. */
  public static byte[] decode(byte encoding, byte[] data, int rawLength) {
    switch (encoding) {
      case RAW:
        if (data.length != rawLength) {
          throw new IllegalArgumentException("raw chunk is " + data.length + " bytes, index says " + rawLength);
        }
        return data;
      case ZSTD:
        byte[] out = new byte[rawLength];
        int n = DECOMPRESS.get().decompressByteArray(out, 0, rawLength, data, 0, data.length);
        if (n != rawLength) {
          throw new IllegalArgumentException("zstd chunk decodes to " + n + " bytes, index says " + rawLength);
        }
        return out;
      default:
        throw new IllegalArgumentException("unknown chunk encoding " + encoding);
    }
  }
}
