package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.Aead;
import dev.vaultgate.vault.crypto.TamperedDataException;
import dev.vaultgate.vault.crypto.VaultKeys;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkBlobTest {
  private final VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
  private final String packId = ObjectIds.newId();

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] compressible(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i / 100);
    }
    return b;
  }

  /** A sealed blob of {@code data} and its index entry at {@code offset}. */
  private record Sealed(byte[] blob, IndexEntry entry) {
  }

  private Sealed seal(byte[] data, int offset) {
    byte[] id = keys.chunkId(data, 0, data.length);
    ChunkEncoding.Encoded encoded = ChunkEncoding.encode(data, 0, data.length);
    byte[] blob = ChunkBlob.seal(keys, id, encoded);
    assertEquals(ChunkBlob.sealedLength(encoded.length()), blob.length);
    return new Sealed(blob, new IndexEntry(id, packId, offset, blob.length, data.length, encoded.encoding()));
  }

  @Test
  void sealedBlobOpensToItsChunk() {
    for (byte[] data : new byte[][] {random(1, 65536), compressible(65536), new byte[0], random(2, 1)}) {
      Sealed s = seal(data, 0);
      assertArrayEquals(data, ChunkBlob.open(keys, s.entry(), s.blob(), 0));
    }
  }

  @Test
  void compressibleChunkIsSealedSmallerThanItIs() {
    Sealed s = seal(compressible(65536), 0);
    assertEquals(ChunkEncoding.ZSTD, s.entry().encoding());
    assertTrue(s.blob().length < 65536 / 4, "blob of " + s.blob().length + " bytes");
  }

  @Test
  void blobOpensAtItsOffsetInsideAPack() {
    byte[] first = random(3, 5000);
    byte[] second = compressible(7000);
    Sealed a = seal(first, 0);
    Sealed b = seal(second, a.blob().length);
    byte[] pack = new byte[a.blob().length + b.blob().length + 100];
    System.arraycopy(a.blob(), 0, pack, 0, a.blob().length);
    System.arraycopy(b.blob(), 0, pack, a.blob().length, b.blob().length);
    assertArrayEquals(first, ChunkBlob.open(keys, a.entry(), pack, a.entry().offset()));
    assertArrayEquals(second, ChunkBlob.open(keys, b.entry(), pack, b.entry().offset()));
  }

  @Test
  void blobOpenedUnderAnotherChunksEntryFailsAuthentication() {
    Sealed a = seal(random(4, 4096), 0);
    Sealed b = seal(random(5, 4096), 0);
    IndexEntry swapped = new IndexEntry(b.entry().chunkId(), packId, 0, a.blob().length, 4096, a.entry().encoding());
    assertThrows(TamperedDataException.class, () -> ChunkBlob.open(keys, swapped, a.blob(), 0));
  }

  @Test
  void blobOpenedWithAnotherEncodingFailsAuthentication() {
    Sealed s = seal(compressible(4096), 0);
    IndexEntry e = s.entry();
    IndexEntry raw = new IndexEntry(e.chunkId(), packId, 0, e.length(), e.rawLength(), ChunkEncoding.RAW);
    assertThrows(TamperedDataException.class, () -> ChunkBlob.open(keys, raw, s.blob(), 0));
  }

  @Test
  void contentThatDoesNotMatchItsIdIsRejected() {
    byte[] data = random(6, 4096);
    byte[] wrongId = keys.chunkId(random(7, 4096), 0, 4096);
    ChunkEncoding.Encoded encoded = ChunkEncoding.encode(data, 0, data.length);
    byte[] blob = ChunkBlob.seal(keys, wrongId, encoded);
    IndexEntry entry = new IndexEntry(wrongId, packId, 0, blob.length, data.length, encoded.encoding());
    TamperedDataException e = assertThrows(TamperedDataException.class, () -> ChunkBlob.open(keys, entry, blob, 0));
    assertTrue(e.getMessage().contains("does not match its id"), e.getMessage());
  }

  @Test
  void entryWithTheWrongRawLengthIsRejected() {
    for (byte[] data : new byte[][] {random(8, 4096), compressible(4096)}) {
      Sealed s = seal(data, 0);
      IndexEntry e = s.entry();
      IndexEntry wrong = new IndexEntry(e.chunkId(), packId, 0, e.length(), e.rawLength() + 1, e.encoding());
      assertThrows(TamperedDataException.class, () -> ChunkBlob.open(keys, wrong, s.blob(), 0));
    }
  }

  @Test
  void oneFlippedBitInABlobFailsAuthentication() {
    Sealed s = seal(random(9, 1000), 0);
    for (int pos : new int[] {0, Aead.NONCE_BYTES, 500, s.blob().length - 1}) {
      byte[] damaged = s.blob().clone();
      damaged[pos] ^= 0x40;
      assertThrows(TamperedDataException.class, () -> ChunkBlob.open(keys, s.entry(), damaged, 0), "byte " + pos);
    }
  }

  @Test
  void blobOfAnotherVaultFailsAuthentication() {
    Sealed s = seal(random(10, 1000), 0);
    VaultKeys other = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    assertThrows(TamperedDataException.class, () -> ChunkBlob.open(other, s.entry(), s.blob(), 0));
  }

  @Test
  void blobReadAtTheWrongOffsetFailsAuthentication() {
    Sealed s = seal(random(11, 1000), 0);
    byte[] pack = Arrays.copyOf(s.blob(), s.blob().length + 1);
    assertThrows(TamperedDataException.class, () -> ChunkBlob.open(keys, s.entry(), pack, 1));
  }
}
