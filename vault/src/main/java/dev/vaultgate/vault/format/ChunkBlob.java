package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.Aead;
import dev.vaultgate.vault.crypto.TamperedDataException;
import dev.vaultgate.vault.crypto.VaultKeys;

import java.security.MessageDigest;

/**
 * One sealed chunk as it lies in a pack: nonce || AES-GCM(encoded plaintext) || tag, with the chunk id and
 * the encoding as associated data, so a blob can be moved between packs as is but never swapped for another.
 */
public final class ChunkBlob {
  private ChunkBlob() {
  }

  public static byte[] seal(VaultKeys keys, byte[] chunkId, ChunkEncoding.Encoded encoded) {
    return keys.seal(encoded.data(), encoded.offset(), encoded.length(), aad(chunkId, encoded.encoding()));
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
