package dev.vaultgate.vault.crypto;

import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AeadTest {
  private static final HexFormat HEX = HexFormat.of();

  // The GCM specification (McGrew and Viega), test case 16: AES-256, 96-bit IV, with AAD.
  private static final byte[] K = HEX.parseHex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  private static final byte[] IV = HEX.parseHex("cafebabefacedbaddecaf888");
  private static final byte[] P = HEX.parseHex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  private static final byte[] A = HEX.parseHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  private static final byte[] C = HEX.parseHex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
  private static final byte[] T = HEX.parseHex("76fc6ece0f4e1768cddf8853bb2d551b");

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  private static byte[] flipBit(byte[] b, int bit) {
    byte[] c = b.clone();
    c[bit / 8] ^= (byte) (1 << (bit % 8));
    return c;
  }

  @Test
  void opensTheGcmSpecTestCase16Vector() {
    byte[] sealed = concat(IV, C, T);
    assertArrayEquals(P, Aead.open(K, sealed, A));
  }

  @Test
  void opensTheGcmSpecVectorAtAnOffsetInsideALargerArray() {
    byte[] sealed = concat(new byte[] {1, 2, 3}, IV, C, T, new byte[] {4, 5});
    byte[] plain = Aead.open(new SecretKeySpec(K, "AES"), sealed, 3, IV.length + C.length + T.length, A);
    assertArrayEquals(P, plain);
  }

  @Test
  void gcmSpecVectorWithAnyFlippedBitFailsAuthentication() {
    byte[] sealed = concat(IV, C, T);
    for (int bit = 0; bit < sealed.length * 8; bit++) {
      byte[] damaged = flipBit(sealed, bit);
      assertThrows(TamperedDataException.class, () -> Aead.open(K, damaged, A), "bit " + bit);
    }
  }

  @Test
  void sealThenOpenGivesThePlaintextBack() {
    byte[] key = Secrets.randomBytes(32);
    byte[] aad = "pack 0123".getBytes(StandardCharsets.US_ASCII);
    for (int len : new int[] {0, 1, 15, 16, 17, 1000, 65536}) {
      byte[] plain = Secrets.randomBytes(len);
      byte[] sealed = Aead.seal(key, plain, aad);
      assertEquals(len + Aead.OVERHEAD, sealed.length);
      assertArrayEquals(plain, Aead.open(key, sealed, aad), "length " + len);
    }
  }

  @Test
  void sealOfASliceOpensToThatSlice() {
    SecretKeySpec key = new SecretKeySpec(Secrets.randomBytes(32), "AES");
    byte[] buffer = Secrets.randomBytes(4096);
    byte[] aad = new byte[0];
    byte[] sealed = Aead.seal(key, buffer, 100, 1000, aad);
    assertArrayEquals(Arrays.copyOfRange(buffer, 100, 1100), Aead.open(key, sealed, 0, sealed.length, aad));
  }

  @Test
  void sealIntoWritesPrefixNonceCiphertextAndTagAtTheOffset() {
    SecretKeySpec key = new SecretKeySpec(Secrets.randomBytes(32), "AES");
    byte[] plain = Secrets.randomBytes(1000);
    byte[] aad = "chunk".getBytes(StandardCharsets.US_ASCII);
    byte[] prefix = "VGE1-generation!".getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[2000];
    Arrays.fill(out, (byte) 0x5a);
    int n = Aead.sealInto(prefix, key, plain, 0, plain.length, aad, out, 100);
    assertEquals(prefix.length + plain.length + Aead.OVERHEAD, n);
    assertArrayEquals(prefix, Arrays.copyOfRange(out, 100, 100 + prefix.length));
    assertArrayEquals(plain, Aead.open(key, out, 100 + prefix.length, n - prefix.length, aad));
    for (int i = 0; i < out.length; i++) {
      if (i < 100 || i >= 100 + n) {
        assertEquals((byte) 0x5a, out[i], "byte " + i + " outside the sealed range was written");
      }
    }
  }

  @Test
  void sealIntoWithoutRoomIsRefusedAndWritesNothing() {
    SecretKeySpec key = new SecretKeySpec(Secrets.randomBytes(32), "AES");
    byte[] out = new byte[100 + Aead.OVERHEAD - 1];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Aead.sealInto(new byte[0], key, new byte[100], 0, 100, new byte[0], out, 0));
    assertEquals("no room for 128 sealed bytes at 0 of 127", e.getMessage());
    assertArrayEquals(new byte[out.length], out);
  }

  @Test
  void twoSealsOfTheSamePlaintextUseDifferentNonces() {
    byte[] key = Secrets.randomBytes(32);
    byte[] plain = "same plaintext".getBytes(StandardCharsets.US_ASCII);
    byte[] a = Aead.seal(key, plain, new byte[0]);
    byte[] b = Aead.seal(key, plain, new byte[0]);
    assertFalse(Arrays.equals(a, 0, Aead.NONCE_BYTES, b, 0, Aead.NONCE_BYTES), "nonces repeat");
    assertFalse(Arrays.equals(a, b), "ciphertexts repeat");
  }

  @Test
  void oneFlippedBitFailsAuthentication() {
    byte[] key = Secrets.randomBytes(32);
    byte[] aad = "chunk".getBytes(StandardCharsets.US_ASCII);
    byte[] sealed = Aead.seal(key, Secrets.randomBytes(100), aad);
    int bodyStart = Aead.NONCE_BYTES * 8;
    int tagStart = (sealed.length - Aead.TAG_BYTES) * 8;
    int last = sealed.length * 8 - 1;
    int[] bits = {0, 7, 45, bodyStart - 1, bodyStart, bodyStart + 1, bodyStart + 400, tagStart - 1, tagStart,
        tagStart + 64, last};
    for (int bit : bits) {
      byte[] damaged = flipBit(sealed, bit);
      assertThrows(TamperedDataException.class, () -> Aead.open(key, damaged, aad), "bit " + bit);
    }
  }

  @Test
  void wrongKeyFailsAuthentication() {
    byte[] sealed = Aead.seal(Secrets.randomBytes(32), new byte[] {1, 2, 3}, new byte[0]);
    assertThrows(TamperedDataException.class, () -> Aead.open(Secrets.randomBytes(32), sealed, new byte[0]));
  }

  @Test
  void wrongAadFailsAuthentication() {
    byte[] key = Secrets.randomBytes(32);
    byte[] sealed = Aead.seal(key, new byte[] {1, 2, 3}, "pack a".getBytes(StandardCharsets.US_ASCII));
    assertThrows(TamperedDataException.class,
        () -> Aead.open(key, sealed, "pack b".getBytes(StandardCharsets.US_ASCII)));
    assertThrows(TamperedDataException.class, () -> Aead.open(key, sealed, new byte[0]));
    assertThrows(TamperedDataException.class, () -> Aead.open(K, concat(IV, C, T), Arrays.copyOf(A, A.length - 1)));
  }

  @Test
  void inputShorterThanNonceAndTagFailsAuthentication() {
    byte[] key = Secrets.randomBytes(32);
    for (int len : new int[] {0, 1, Aead.NONCE_BYTES, Aead.OVERHEAD - 1}) {
      byte[] shortInput = new byte[len];
      TamperedDataException e = assertThrows(TamperedDataException.class,
          () -> Aead.open(key, shortInput, new byte[0]), "length " + len);
      assertEquals("sealed data is " + len + " bytes, shorter than nonce and tag", e.getMessage());
    }
  }

  @Test
  void truncatedOrExtendedSealedDataFailsAuthentication() {
    byte[] key = Secrets.randomBytes(32);
    byte[] sealed = Aead.seal(key, Secrets.randomBytes(64), new byte[0]);
    assertThrows(TamperedDataException.class,
        () -> Aead.open(key, Arrays.copyOf(sealed, sealed.length - 1), new byte[0]));
    assertThrows(TamperedDataException.class,
        () -> Aead.open(key, Arrays.copyOf(sealed, sealed.length + 1), new byte[0]));
    byte[] empty = Aead.seal(key, new byte[0], new byte[0]);
    assertArrayEquals(new byte[0], Aead.open(key, empty, new byte[0]));
    assertThrows(TamperedDataException.class,
        () -> Aead.open(key, Arrays.copyOf(empty, empty.length - 1), new byte[0]));
  }

  /** Sealed with the JDK's cipher through byte arrays, the path messages below {@link Aead#LARGE} take. */
  private static byte[] sealThroughArrays(byte[] key, byte[] nonce, byte[] plain, byte[] aad) throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"),
        new GCMParameterSpec(128, nonce));
    c.updateAAD(aad);
    return concat(nonce, c.doFinal(plain));
  }

  @Test
  void aLargeMessageSealsAndOpensAsStandardGcmAndAnyFlippedBitFailsIt() throws Exception {
    byte[] key = new byte[32];
    new Random(3).nextBytes(key);
    byte[] plain = new byte[Aead.LARGE * 5 + 77]; // past the cipher's 1 MiB split, and not a whole number of blocks
    new Random(4).nextBytes(plain);
    byte[] aad = "manifest".getBytes(StandardCharsets.US_ASCII);

    byte[] sealed = Aead.seal(key, plain, aad);
    byte[] nonce = Arrays.copyOf(sealed, Aead.NONCE_BYTES);
    assertArrayEquals(sealThroughArrays(key, nonce, plain, aad), sealed, "the same bytes as the array path");
    assertArrayEquals(plain, Aead.open(key, sealed, aad));
    byte[] into = new byte[plain.length + 10];
    assertEquals(plain.length, Aead.openInto(new SecretKeySpec(key, "AES"), sealed, 0, sealed.length,
        aad, into, 10));
    assertArrayEquals(plain, Arrays.copyOfRange(into, 10, into.length));

    for (int bit : new int[] {0, Aead.NONCE_BYTES * 8 + 5, sealed.length * 8 / 2, sealed.length * 8 - 1}) {
      byte[] damaged = sealed.clone();
      damaged[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThrows(TamperedDataException.class, () -> Aead.open(key, damaged, aad), "bit " + bit);
    }
  }
}
