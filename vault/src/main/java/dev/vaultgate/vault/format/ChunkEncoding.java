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
