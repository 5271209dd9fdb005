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

  @Test
  void openIntoWritesEachChunkAtItsPlaceInASharedBufferAndTouchesNothingElse() {
    byte[][] chunks = {random(20, 65536), compressible(65536), random(21, 1), compressible(4096), new byte[0], random(22, 65536)};
    byte[] out = new byte[300_000];
    Arrays.fill(out, (byte) 0x5a);
    int at = 7;
    int[] starts = new int[chunks.length];
    for (int i = 0; i < chunks.length; i++) {
      Sealed s = seal(chunks[i], 0);
      starts[i] = at;
      assertEquals(chunks[i].length, ChunkBlob.openInto(keys, s.entry(), s.blob(), 0, out, at));
      at += chunks[i].length;
    }
    for (int i = 0; i < chunks.length; i++) {
      assertArrayEquals(chunks[i], Arrays.copyOfRange(out, starts[i], starts[i] + chunks[i].length), "chunk " + i);
    }
    for (int i = 0; i < 7; i++) {
      assertEquals((byte) 0x5a, out[i]);
    }
    for (int i = at; i < out.length; i++) {
      assertEquals((byte) 0x5a, out[i], "byte " + i + " after the chunks");
    }
  }

  @Test
  void openIntoRejectsWhatOpenRejects() {
    byte[] out = new byte[70_000];
    Sealed random = seal(random(23, 4096), 0);
    Sealed packed = seal(compressible(4096), 0);
    Sealed other = seal(random(24, 4096), 0);
    IndexEntry r = random.entry();
    IndexEntry c = packed.entry();
    // another chunk's entry, another encoding, a wrong raw length (raw and zstd), another vault's keys, a flipped bit
    assertThrows(TamperedDataException.class, () -> ChunkBlob.openInto(keys,
        new IndexEntry(other.entry().chunkId(), packId, 0, r.length(), r.rawLength(), r.encoding()), random.blob(), 0, out, 0));
    assertThrows(TamperedDataException.class, () -> ChunkBlob.openInto(keys,
        new IndexEntry(c.chunkId(), packId, 0, c.length(), c.rawLength(), ChunkEncoding.RAW), packed.blob(), 0, out, 0));
    assertThrows(TamperedDataException.class, () -> ChunkBlob.openInto(keys,
        new IndexEntry(r.chunkId(), packId, 0, r.length(), r.rawLength() + 1, r.encoding()), random.blob(), 0, out, 0));
    assertThrows(TamperedDataException.class, () -> ChunkBlob.openInto(keys,
        new IndexEntry(c.chunkId(), packId, 0, c.length(), c.rawLength() + 1, c.encoding()), packed.blob(), 0, out, 0));
    assertThrows(TamperedDataException.class, () -> ChunkBlob.openInto(VaultKeys.fromMaterial(VaultKeys.newMaterial()),
        r, random.blob(), 0, out, 0));
    for (Sealed s : new Sealed[] {random, packed}) {
      byte[] damaged = s.blob().clone();
      damaged[damaged.length / 2] ^= 0x01;
      assertThrows(TamperedDataException.class, () -> ChunkBlob.openInto(keys, s.entry(), damaged, 0, out, 0));
    }
    // after all that, the thread's buffers still open good chunks
    assertEquals(4096, ChunkBlob.openInto(keys, c, packed.blob(), 0, out, 100));
    assertArrayEquals(compressible(4096), Arrays.copyOfRange(out, 100, 4196));
  }

  @Test
  void contentThatDoesNotMatchItsIdIsRejectedByOpenInto() {
    byte[] data = compressible(4096);
    byte[] wrongId = keys.chunkId(random(25, 4096), 0, 4096);
    ChunkEncoding.Encoded encoded = ChunkEncoding.encode(data, 0, data.length);
    byte[] blob = ChunkBlob.seal(keys, wrongId, encoded);
    IndexEntry entry = new IndexEntry(wrongId, packId, 0, blob.length, data.length, encoded.encoding());
    TamperedDataException e = assertThrows(TamperedDataException.class,
        () -> ChunkBlob.openInto(keys, entry, blob, 0, new byte[4096], 0));
    assertTrue(e.getMessage().contains("does not match its id"), e.getMessage());
  }

  @Test
  void openIntoWantsRoomForTheWholeChunk() {
    Sealed s = seal(random(26, 4096), 0);
    assertThrows(IllegalArgumentException.class, () -> ChunkBlob.openInto(keys, s.entry(), s.blob(), 0, new byte[5000], 1000));
  }
}
