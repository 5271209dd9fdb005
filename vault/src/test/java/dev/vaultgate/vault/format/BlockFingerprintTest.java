package dev.vaultgate.vault.format;

import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class BlockFingerprintTest {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long[] SEED = {0x0123456789abcdefL, 0x1122334455667788L, 0x99aabbccddeeff00L, 42L};

  private final BlockFingerprint fp = new BlockFingerprint(SEED);

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private byte[] of(byte[] data) {
    return fp.fingerprint(data, 0, data.length);
  }

  @Test
  void sameBlockGivesTheSameFingerprint() {
    byte[] data = random(1, 65536);
    byte[] first = of(data);
    assertEquals(16, first.length);
    assertArrayEquals(first, of(data.clone()));
    assertArrayEquals(first, new BlockFingerprint(SEED.clone()).fingerprint(data, 0, data.length));
  }

  @Test
  void fingerprintOfASliceEqualsThatOfTheSameBytesAloneAndLandsAtTheOutputOffset() {
    byte[] buffer = random(2, 10_000);
    byte[] slice = Arrays.copyOfRange(buffer, 333, 333 + 4099);
    byte[] out = new byte[40];
    fp.fingerprint(buffer, 333, 4099, out, 20);
    assertArrayEquals(of(slice), Arrays.copyOfRange(out, 20, 36));
    assertArrayEquals(new byte[20], Arrays.copyOfRange(out, 0, 20));
    assertArrayEquals(new byte[4], Arrays.copyOfRange(out, 36, 40));
  }

  @Test
  void fingerprintOfADirectBufferEqualsThatOfTheSameBytesInAnArrayWhateverTheBufferOrder() {
    byte[] data = random(3, 70_000);
    ByteBuffer direct = ByteBuffer.allocateDirect(data.length + 7);
    direct.position(7);
    direct.put(data);
    direct.position(3); // absolute reads: position, limit and order do not matter
    for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
      direct.order(order);
      for (int len : new int[] {0, 1, 7, 8, 31, 32, 33, 4099, 65536, 70_000}) {
        byte[] out = new byte[16];
        fp.fingerprint(direct, 7, len, out, 0);
        assertArrayEquals(fp.fingerprint(data, 0, len), out, "length " + len + ", " + order);
      }
      assertEquals(3, direct.position());
    }
  }

  @Test
  void everySingleFlippedBitOfASmallBlockChangesTheFingerprint() {
    for (int len = 1; len <= 130; len++) {
      byte[] data = random(len, len);
      byte[] original = of(data);
      for (int bit = 0; bit < len * 8; bit++) {
        data[bit / 8] ^= (byte) (1 << (bit % 8));
        assertFalse(Arrays.equals(original, of(data)), "length " + len + ", bit " + bit);
        data[bit / 8] ^= (byte) (1 << (bit % 8));
      }
    }
  }

  @Test
  void oneFlippedBitAnywhereInALargeBlockChangesTheFingerprint() {
    // 65533 = 2047 steps of 32 bytes, then three 8-byte tail words (65504..65527), then 5 last bytes.
    for (int len : new int[] {65536, 65533, 4096 + 7}) {
      byte[] data = random(len, len);
      byte[] original = of(data);
      int[] positions = {0, 1, 7, 8, 15, 16, 23, 24, 31, 32, len / 2, len / 2 + 9, len - 40, len - 33, len - 32,
          len - 25, len - 17, len - 9, len - 8, len - 5, len - 2, len - 1};
      for (int pos : positions) {
        for (int bit : new int[] {0, 3, 7}) {
          data[pos] ^= (byte) (1 << bit);
          assertFalse(Arrays.equals(original, of(data)), "length " + len + ", byte " + pos + ", bit " + bit);
          data[pos] ^= (byte) (1 << bit);
        }
      }
    }
  }

  @Test
  void oneFlippedBitInTheTailOfAnOddLengthBlockChangesTheFingerprint() {
    int len = 65536 - 3;
    byte[] data = random(7, len);
    byte[] original = of(data);
    for (int pos = 65504; pos < len; pos++) {
      for (int bit = 0; bit < 8; bit++) {
        data[pos] ^= (byte) (1 << bit);
        assertFalse(Arrays.equals(original, of(data)), "byte " + pos + ", bit " + bit);
        data[pos] ^= (byte) (1 << bit);
      }
    }
  }

  @Test
  void differentSeedsGiveDifferentFingerprints() {
    byte[] data = random(3, 65536);
    for (int i = 0; i < 4; i++) {
      long[] other = SEED.clone();
      other[i] ^= 1L << 40;
      assertFalse(Arrays.equals(of(data), new BlockFingerprint(other).fingerprint(data, 0, data.length)),
          "seed word " + i);
    }
    byte[] zeros = new byte[65536];
    assertFalse(Arrays.equals(of(zeros), new BlockFingerprint(new long[] {1, 2, 3, 4}).fingerprint(zeros, 0, 65536)));
  }

  @Test
  void blocksOfDifferentLengthWithTheSamePrefixDiffer() {
    byte[] data = random(4, 65536);
    assertFalse(Arrays.equals(fp.fingerprint(data, 0, 65536), fp.fingerprint(data, 0, 65535)));
    byte[] zeros = new byte[65536];
    assertFalse(Arrays.equals(fp.fingerprint(zeros, 0, 65536), fp.fingerprint(zeros, 0, 65535)));
    Set<ByteBuffer> seen = new HashSet<>();
    for (int len = 0; len <= 200; len++) {
      // Trailing zero bytes are where a length-blind hash would collide.
      seen.add(ByteBuffer.wrap(fp.fingerprint(zeros, 0, len)));
    }
    assertEquals(201, seen.size());
  }

  @Test
  void hundredThousandRandomBlocksHaveNoCollision() {
    Random random = new Random(5);
    byte[] block = new byte[64];
    Set<ByteBuffer> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      random.nextBytes(block);
      seen.add(ByteBuffer.wrap(of(block)));
    }
    assertEquals(100_000, seen.size());
  }

  @Test
  void hundredThousandNearlyIdenticalBlocksHaveNoCollision() {
    // Structured data (a counter in otherwise zero blocks) rather than random bytes.
    byte[] block = new byte[4096];
    Set<ByteBuffer> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      int pos = (i * 8) % (block.length - 8);
      Arrays.fill(block, (byte) 0);
      LONGS.set(block, pos, (long) i);
      seen.add(ByteBuffer.wrap(of(block)));
    }
    assertEquals(100_000, seen.size());
  }

  /**
   * A data word must never make a lane forget what came before. In a plain wyhash "mum" chain, a word equal
   * to the public constant it is XORed with zeroes the product, so a block ending in those words (P0 at
   * offset len-32, P1 at len-16) had one fingerprint whatever its other bytes held, under every seed.
   */
  @Test
  void blockEndingInTheMixConstantsStillDependsOnItsEarlierBytes() {
    byte[] a = random(6, 65536);
    LONGS.set(a, 65536 - 32, 0xa0761d6478bd642fL); // P0
    LONGS.set(a, 65536 - 16, 0xe7037ed1a0b428dbL); // P1
    byte[] b = a.clone();
    Arrays.fill(b, 0, 65536 - 32, (byte) 0x5a);
    b[65536 - 24] ^= 1; // lane a's second word of the last step is lost as well
    assertFalse(Arrays.equals(of(a), of(b)),
        "two 64 KiB blocks differing in 65,505 bytes have the same fingerprint");
  }
}
