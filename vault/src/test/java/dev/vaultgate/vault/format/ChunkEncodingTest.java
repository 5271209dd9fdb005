package dev.vaultgate.vault.format;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkEncodingTest {
  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private static byte[] compressible(int n) {
    byte[] text = "the quick brown fox jumps over the lazy dog; ".getBytes(StandardCharsets.US_ASCII);
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = text[i % text.length];
    }
    return b;
  }

  private static byte[] bytesOf(ChunkEncoding.Encoded e) {
    return Arrays.copyOfRange(e.data(), e.offset(), e.offset() + e.length());
  }

  @Test
  void compressibleDataIsStoredAsZstdAndDecodesBack() {
    byte[] data = compressible(65536);
    ChunkEncoding.Encoded e = ChunkEncoding.encode(data, 0, data.length);
    assertEquals(ChunkEncoding.ZSTD, e.encoding());
    assertTrue(e.length() < data.length / 10, "compressed to " + e.length());
    assertArrayEquals(data, ChunkEncoding.decode(e.encoding(), bytesOf(e), data.length));
  }

  @Test
  void zeroBlockCompressesAndDecodesBack() {
    byte[] zeros = new byte[65536];
    ChunkEncoding.Encoded e = ChunkEncoding.encode(zeros, 0, zeros.length);
    assertEquals(ChunkEncoding.ZSTD, e.encoding());
    assertArrayEquals(zeros, ChunkEncoding.decode(e.encoding(), bytesOf(e), zeros.length));
  }

  @Test
  void randomDataIsStoredRawAsTheCallersBytes() {
    byte[] data = random(65536);
    ChunkEncoding.Encoded e = ChunkEncoding.encode(data, 0, data.length);
    assertEquals(ChunkEncoding.RAW, e.encoding());
    assertSame(data, e.data());
    assertEquals(0, e.offset());
    assertEquals(data.length, e.length());
    assertArrayEquals(data, ChunkEncoding.decode(e.encoding(), bytesOf(e), data.length));
  }

  @Test
  void encodesASliceOfALargerBuffer() {
    byte[] buffer = new byte[3 * 4096];
    System.arraycopy(random(4096), 0, buffer, 0, 4096);
    System.arraycopy(compressible(4096), 0, buffer, 4096, 4096);
    System.arraycopy(random(4097), 0, buffer, 8192, 4096);

    ChunkEncoding.Encoded middle = ChunkEncoding.encode(buffer, 4096, 4096);
    assertEquals(ChunkEncoding.ZSTD, middle.encoding());
    assertArrayEquals(compressible(4096), ChunkEncoding.decode(middle.encoding(), bytesOf(middle), 4096));

    ChunkEncoding.Encoded last = ChunkEncoding.encode(buffer, 8192, 4096);
    assertEquals(ChunkEncoding.RAW, last.encoding());
    assertEquals(8192, last.offset());
    assertArrayEquals(Arrays.copyOfRange(buffer, 8192, 12288), bytesOf(last));
  }

  @Test
  void halfRandomHalfZeroDataIsCompressed() {
    byte[] data = new byte[65536];
    System.arraycopy(random(32768), 0, data, 0, 32768);
    ChunkEncoding.Encoded e = ChunkEncoding.encode(data, 0, data.length);
    assertEquals(ChunkEncoding.ZSTD, e.encoding());
    assertArrayEquals(data, ChunkEncoding.decode(e.encoding(), bytesOf(e), data.length));
  }

  @Test
  void emptyAndTinyChunksStayRaw() {
    for (int n : new int[] {0, 1, 10}) {
      byte[] data = new byte[n];
      ChunkEncoding.Encoded e = ChunkEncoding.encode(data, 0, n);
      assertEquals(ChunkEncoding.RAW, e.encoding(), "length " + n);
      assertArrayEquals(data, ChunkEncoding.decode(e.encoding(), bytesOf(e), n));
    }
  }

  @Test
  void zstdChunkWithTheWrongRawLengthFailsToDecode() {
    byte[] data = compressible(65536);
    byte[] encoded = bytesOf(ChunkEncoding.encode(data, 0, data.length));
    assertThrows(IllegalArgumentException.class, () -> ChunkEncoding.decode(ChunkEncoding.ZSTD, encoded, 65537));
    assertThrows(RuntimeException.class, () -> ChunkEncoding.decode(ChunkEncoding.ZSTD, encoded, 65535));
  }

  @Test
  void rawChunkWithTheWrongRawLengthFailsToDecode() {
    byte[] data = random(100);
    assertThrows(IllegalArgumentException.class, () -> ChunkEncoding.decode(ChunkEncoding.RAW, data, 99));
    assertThrows(IllegalArgumentException.class, () -> ChunkEncoding.decode(ChunkEncoding.RAW, data, 101));
  }

  @Test
  void unknownEncodingOrGarbageFailsToDecode() {
    assertThrows(IllegalArgumentException.class, () -> ChunkEncoding.decode((byte) 7, new byte[10], 10));
    assertThrows(RuntimeException.class, () -> ChunkEncoding.decode(ChunkEncoding.ZSTD, random(200), 4096));
  }
}
