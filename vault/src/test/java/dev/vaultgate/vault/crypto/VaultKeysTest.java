package dev.vaultgate.vault.crypto;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class VaultKeysTest {
  private static final HexFormat HEX = HexFormat.of();

  /** Key material whose id key (bytes 32..63) is {@code idKey} zero-padded, as HMAC pads short keys. */
  private static byte[] materialWithIdKey(byte[] idKey) {
    byte[] material = new byte[VaultKeys.MATERIAL_BYTES];
    System.arraycopy(idKey, 0, material, 32, idKey.length);
    return material;
  }

  @Test
  void chunkIdIsHmacSha256MatchingRfc4231TestCase1() {
    byte[] key = new byte[20];
    Arrays.fill(key, (byte) 0x0b);
    VaultKeys keys = VaultKeys.fromMaterial(materialWithIdKey(key));
    byte[] data = "Hi There".getBytes(StandardCharsets.US_ASCII);
    assertEquals("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        HEX.formatHex(keys.chunkId(data, 0, data.length)));
  }

  @Test
  void chunkIdIsHmacSha256MatchingRfc4231TestCase2() {
    VaultKeys keys = VaultKeys.fromMaterial(materialWithIdKey("Jefe".getBytes(StandardCharsets.US_ASCII)));
    byte[] data = "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII);
    assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", HEX.formatHex(keys.mac(data)));
  }

  @Test
  void chunkIdOfASliceEqualsChunkIdOfTheSameBytesAlone() {
    VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    byte[] buffer = Secrets.randomBytes(10_000);
    byte[] slice = Arrays.copyOfRange(buffer, 1234, 5678);
    assertArrayEquals(keys.mac(slice), keys.chunkId(buffer, 1234, 5678 - 1234));
    assertEquals(VaultKeys.CHUNK_ID_BYTES, keys.mac(slice).length);
  }

  @Test
  void sameDataUnderTheSameMaterialGivesTheSameId() {
    byte[] material = VaultKeys.newMaterial();
    byte[] data = Secrets.randomBytes(65536);
    byte[] first = VaultKeys.fromMaterial(material).mac(data);
    assertArrayEquals(first, VaultKeys.fromMaterial(material.clone()).mac(data));
    assertArrayEquals(first, VaultKeys.fromMaterial(material).mac(data.clone()));
  }

  @Test
  void differentMaterialGivesADifferentId() {
    byte[] data = Secrets.randomBytes(4096);
    byte[] material = VaultKeys.newMaterial();
    byte[] other = material.clone();
    other[63] ^= 1;
    assertFalse(Arrays.equals(VaultKeys.fromMaterial(material).mac(data), VaultKeys.fromMaterial(other).mac(data)));
  }

  @Test
  void differentDataGivesADifferentId() {
    VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    byte[] data = Secrets.randomBytes(4096);
    byte[] changed = data.clone();
    changed[4095] ^= 1;
    assertFalse(Arrays.equals(keys.mac(data), keys.mac(changed)));
  }

  @Test
  void materialOfTheWrongLengthIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> VaultKeys.fromMaterial(new byte[63]));
    assertThrows(IllegalArgumentException.class, () -> VaultKeys.fromMaterial(new byte[65]));
    assertEquals(VaultKeys.MATERIAL_BYTES, VaultKeys.newMaterial().length);
  }

  @Test
  void dataKeySealsWhatOnlyTheSameMaterialOpens() {
    byte[] material = VaultKeys.newMaterial();
    VaultKeys keys = VaultKeys.fromMaterial(material);
    byte[] plain = Secrets.randomBytes(1000);
    byte[] aad = "point x".getBytes(StandardCharsets.US_ASCII);
    byte[] sealed = keys.seal(plain, 0, plain.length, aad);
    assertArrayEquals(plain, VaultKeys.fromMaterial(material).open(sealed, 0, sealed.length, aad));
    VaultKeys other = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    assertThrows(TamperedDataException.class, () -> other.open(sealed, 0, sealed.length, aad));
  }

  @Test
  void dataKeyAndIdKeyAreIndependentHalvesOfTheMaterial() {
    byte[] material = VaultKeys.newMaterial();
    byte[] otherDataKey = material.clone();
    otherDataKey[0] ^= 1;
    byte[] data = Secrets.randomBytes(100);
    // Changing only the data-key half keeps chunk ids (and the fingerprint seed) but not the cipher.
    assertArrayEquals(VaultKeys.fromMaterial(material).mac(data), VaultKeys.fromMaterial(otherDataKey).mac(data));
    assertArrayEquals(VaultKeys.fromMaterial(material).fingerprintSeed(),
        VaultKeys.fromMaterial(otherDataKey).fingerprintSeed());
    byte[] sealed = VaultKeys.fromMaterial(material).seal(data, 0, data.length, new byte[0]);
    assertThrows(TamperedDataException.class,
        () -> VaultKeys.fromMaterial(otherDataKey).open(sealed, 0, sealed.length, new byte[0]));
  }

  @Test
  void fingerprintSeedIsDeterministicPerMaterialAndCannotBeChangedFromOutside() {
    byte[] material = VaultKeys.newMaterial();
    VaultKeys keys = VaultKeys.fromMaterial(material);
    long[] seed = keys.fingerprintSeed();
    assertEquals(4, seed.length);
    assertArrayEquals(seed, VaultKeys.fromMaterial(material).fingerprintSeed());
    seed[0] ^= 1;
    assertFalse(Arrays.equals(seed, keys.fingerprintSeed()));
    assertFalse(Arrays.equals(keys.fingerprintSeed(), VaultKeys.fromMaterial(VaultKeys.newMaterial()).fingerprintSeed()));
  }

  @Test
  void chunkIdsComputedOnManyThreadsMatchThoseOfOneThread() throws Exception {
    VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    List<byte[]> data = new ArrayList<>();
    List<byte[]> expected = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      byte[] d = Secrets.randomBytes(1 + i * 37);
      data.add(d);
      expected.add(keys.mac(d));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          for (int round = 0; round < 20; round++) {
            for (int i = 0; i < data.size(); i++) {
              if (!Arrays.equals(expected.get(i), keys.mac(data.get(i)))) {
                return false;
              }
            }
          }
          return true;
        }));
      }
      for (Future<Boolean> r : results) {
        assertEquals(true, r.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // --- data-key generations ------------------------------------------------------------------------------

  private static final String G1 = "01a20a2d0cd499edafabfccd8f260889";
  private static final String G2 = "01a20a2d0cd499edafabfccd8f26088a";
  private static final byte[] AAD = "point 1".getBytes(StandardCharsets.US_ASCII);

  @Test
  void generationZeroSealsTheFormatOfVaultsBeforeRotation() {
    byte[] material = VaultKeys.newMaterial();
    VaultKeys keys = VaultKeys.fromMaterial(material);
    byte[] plain = "hello".getBytes(StandardCharsets.US_ASCII);
    byte[] sealed = keys.seal(plain, 0, plain.length, AAD);
    // nonce || ciphertext || tag under the first 32 bytes of the material, as before rotations existed
    assertArrayEquals(plain, Aead.open(Arrays.copyOfRange(material, 0, 32), sealed, AAD));
    assertEquals(null, VaultKeys.generationOf(sealed, 0, sealed.length));
    assertEquals(null, keys.currentGeneration());
  }

  @Test
  void aRotatedGenerationSealsBehindAnEnvelopeNamingItAndOlderObjectsStillOpen() {
    VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    byte[] plain = Secrets.randomBytes(1000);
    byte[] old = keys.seal(plain, 0, plain.length, AAD);
    byte[] dataKey1 = Secrets.randomBytes(32);
    keys.addGeneration(G1, dataKey1);
    byte[] sealed1 = keys.seal(plain, 0, plain.length, AAD);
    keys.addGeneration(G2, Secrets.randomBytes(32));
    byte[] sealed2 = keys.seal(plain, 0, plain.length, AAD);

    assertEquals(G1, VaultKeys.generationOf(sealed1, 0, sealed1.length));
    assertEquals(G2, VaultKeys.generationOf(sealed2, 0, sealed2.length));
    assertEquals(G2, keys.currentGeneration());
    assertEquals(plain.length + VaultKeys.ENVELOPE_BYTES + Aead.OVERHEAD, sealed1.length);
    assertEquals(plain.length, VaultKeys.plaintextLength(sealed1, 0, sealed1.length));
    // what follows the envelope is plain AES-GCM under that generation's key
    assertArrayEquals(plain, Aead.open(dataKey1, Arrays.copyOfRange(sealed1, VaultKeys.ENVELOPE_BYTES, sealed1.length), AAD));
    for (byte[] s : List.of(old, sealed1, sealed2)) {
      assertArrayEquals(plain, keys.open(s, 0, s.length, AAD));
      byte[] out = new byte[plain.length + 5];
      assertEquals(plain.length, keys.openInto(s, 0, s.length, AAD, out, 5));
      assertArrayEquals(plain, Arrays.copyOfRange(out, 5, out.length));
    }
  }

  @Test
  void aFlippedBitOrTheWrongAadUnderARotatedGenerationIsTampering() {
    VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    keys.addGeneration(G1, Secrets.randomBytes(32));
    byte[] plain = Secrets.randomBytes(100);
    byte[] sealed = keys.seal(plain, 0, plain.length, AAD);
    for (int bit : new int[] {8 * VaultKeys.ENVELOPE_BYTES, 8 * (sealed.length - 1)}) {
      byte[] bad = sealed.clone();
      bad[bit / 8] ^= 1;
      assertThrows(TamperedDataException.class, () -> keys.open(bad, 0, bad.length, AAD));
    }
    assertThrows(TamperedDataException.class, () -> keys.open(sealed, 0, sealed.length, "point 2".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void anObjectOfAnUnknownGenerationIsRefusedNamingIt() {
    VaultKeys writer = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    writer.addGeneration(G1, Secrets.randomBytes(32));
    byte[] sealed = writer.seal(new byte[10], 0, 10, AAD);
    VaultKeys reader = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    TamperedDataException e = assertThrows(TamperedDataException.class, () -> reader.open(sealed, 0, sealed.length, AAD));
    assertEquals("sealed under data-key generation " + G1 + ", which this vault did not have when it was opened (keys/" + G1
        + " is missing, or was made since: open the vault again)", e.getMessage());
  }

  @Test
  void anOldObjectWhoseNonceBeginsLikeAnEnvelopeStillOpens() throws Exception {
    byte[] material = VaultKeys.newMaterial();
    VaultKeys keys = VaultKeys.fromMaterial(material);
    keys.addGeneration(G1, Secrets.randomBytes(32));
    // sealed by generation 0 (before rotations) with a nonce that happens to start with "VGE1" (odds 2^-32)
    byte[] nonce = {'V', 'G', 'E', '1', 1, 2, 3, 4, 5, 6, 7, 8};
    byte[] plain = Secrets.randomBytes(64);
    javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    c.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(material, 0, 32, "AES"),
        new javax.crypto.spec.GCMParameterSpec(128, nonce));
    c.updateAAD(AAD);
    byte[] body = c.doFinal(plain);
    byte[] sealed = new byte[12 + body.length];
    System.arraycopy(nonce, 0, sealed, 0, 12);
    System.arraycopy(body, 0, sealed, 12, body.length);
    assertArrayEquals(plain, keys.open(sealed, 0, sealed.length, AAD));
    byte[] out = new byte[plain.length + VaultKeys.ENVELOPE_BYTES];
    assertEquals(plain.length, keys.openInto(sealed, 0, sealed.length, AAD, out, 0));
    assertArrayEquals(plain, Arrays.copyOf(out, plain.length));
  }

  @Test
  void generationsShareTheIdKeySoChunkIdsAndFingerprintsDoNotChange() {
    VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    byte[] data = Secrets.randomBytes(4096);
    byte[] before = keys.chunkId(data, 0, data.length);
    long[] seed = keys.fingerprintSeed();
    keys.addGeneration(G1, Secrets.randomBytes(32));
    assertArrayEquals(before, keys.chunkId(data, 0, data.length));
    assertArrayEquals(seed, keys.fingerprintSeed());
  }
}
