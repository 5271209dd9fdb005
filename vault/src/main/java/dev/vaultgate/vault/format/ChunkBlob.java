package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.Aead;
import dev.vaultgate.vault.crypto.TamperedDataException;
import dev.vaultgate.vault.crypto.VaultKeys;

import java.security.MessageDigest;

/**
 * One sealed chunk as it lies in a pack: nonce || AES-GCM(encoded plaintext) || tag, with the chunk id and
 * the encoding as associated data, so a blob can be moved between packs as is but never swapped for another.
 * Under a rotated data key the blob starts with the envelope naming its generation ({@link VaultKeys}), so it keeps
 * saying which key opens it wherever gc moves it.
 */
public final class ChunkBlob {
  private ChunkBlob() {
  }

  public static byte[] seal(VaultKeys keys, byte[] chunkId, ChunkEncoding.Encoded encoded) {
    return keys.seal(encoded.data(), encoded.offset(), encoded.length(), aad(chunkId, encoded.encoding()));
  }

  /**
   * {@link #seal} into {@code out} from {@code outOff}, which has room for {@code encoded.length() +
   * VaultKeys.MAX_SEALED_OVERHEAD} bytes; answers the blob's length.
   */
  public static int sealInto(VaultKeys keys, byte[] chunkId, ChunkEncoding.Encoded encoded, byte[] out, int outOff) {
    return keys.sealInto(encoded.data(), encoded.offset(), encoded.length(), aad(chunkId, encoded.encoding()), out, outOff);
  }

  /**
   * Opens, decodes and verifies a blob: the GCM tag, then the chunk id recomputed from the plaintext.
   *
   * @throws TamperedDataException when either check fails
   */
  public static byte[] open(VaultKeys keys, IndexEntry entry, byte[] sealed, int off) {
    byte[] encoded = keys.open(sealed, off, entry.length(), aad(entry.chunkId(), entry.encoding()));
    byte[] plain;
    try {
      plain = ChunkEncoding.decode(entry.encoding(), encoded, entry.rawLength());
    } catch (RuntimeException e) {
      throw new TamperedDataException("chunk does not decode: " + e.getMessage());
    }
    if (!MessageDigest.isEqual(keys.chunkId(plain, 0, plain.length), entry.chunkId())) {
      throw new TamperedDataException("chunk content does not match its id");
    }
    return plain;
  }

  /** Per-thread buffers of {@link #openInto}: a restore opens millions of chunks and should allocate for none. */
  private static final class Scratch {
    final byte[] aad = new byte[VaultKeys.CHUNK_ID_BYTES + 1];
    final byte[] id = new byte[VaultKeys.CHUNK_ID_BYTES];
    byte[] encoded = new byte[0];

    byte[] encoded(int length) {
      if (encoded.length < length) {
        encoded = new byte[length];
      }
      return encoded;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * Opens, decodes and verifies a blob as {@link #open} does, but into {@code out[outOff, outOff+rawLength)} and
   * without allocating: a raw chunk is decrypted straight there, a compressed one through a per-thread buffer, and
   * the id is recomputed with the thread's Mac into a per-thread array. Answers the plaintext's length. When a check
   * fails, that range of {@code out} holds no valid plaintext.
   *
   * @throws TamperedDataException when the tag, the decoding or the id check fails
   */
  public static int openInto(VaultKeys keys, IndexEntry entry, byte[] sealed, int off, byte[] out, int outOff) {
    int raw = entry.rawLength();
    if (outOff < 0 || out.length - outOff < raw) {
      throw new IllegalArgumentException("no room for a chunk of " + raw + " bytes at " + outOff + " of " + out.length);
    }
    Scratch scratch = SCRATCH.get();
    byte[] aad = scratch.aad;
    System.arraycopy(entry.chunkId(), 0, aad, 0, VaultKeys.CHUNK_ID_BYTES);
    aad[VaultKeys.CHUNK_ID_BYTES] = entry.encoding();
    // Without an envelope (generation 0) or with one (a rotated data key, 20 bytes more): the room for the largest.
    int encodedLength = entry.length() - Aead.OVERHEAD;
    if (entry.encoding() == ChunkEncoding.RAW) {
      if (encodedLength != raw && VaultKeys.plaintextLength(sealed, off, entry.length()) != raw) {
        throw new TamperedDataException("chunk does not decode: raw chunk is " + encodedLength + " bytes, index says " + raw);
      }
      keys.openInto(sealed, off, entry.length(), aad, out, outOff);
    } else {
      byte[] encoded = scratch.encoded(Math.max(encodedLength, 0));
      int n = keys.openInto(sealed, off, entry.length(), aad, encoded, 0);
      try {
        ChunkEncoding.decodeInto(entry.encoding(), encoded, 0, n, raw, out, outOff);
      } catch (RuntimeException e) {
        throw new TamperedDataException("chunk does not decode: " + e.getMessage());
      }
    }
    keys.chunkIdInto(out, outOff, raw, scratch.id, 0);
    if (!MessageDigest.isEqual(scratch.id, entry.chunkId())) {
      throw new TamperedDataException("chunk content does not match its id");
    }
    return raw;
  }

  private static byte[] aad(byte[] chunkId, byte encoding) {
    byte[] aad = new byte[chunkId.length + 1];
    System.arraycopy(chunkId, 0, aad, 0, chunkId.length);
    aad[chunkId.length] = encoding;
    return aad;
  }

  public static int sealedLength(int encodedLength) {
    return encodedLength + Aead.OVERHEAD;
  }
}
