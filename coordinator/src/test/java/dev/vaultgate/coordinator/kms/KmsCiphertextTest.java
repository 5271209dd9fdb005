package dev.vaultgate.coordinator.kms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The ciphertext blob format and KeyId parsing, directly (pure code). */
class KmsCiphertextTest {

  static final byte[] MATERIAL = new byte[32];
  static final UUID KEY = UUID.fromString("1234abcd-12ab-34cd-56ef-1234567890ab");

  @Test
  void blobHeaderNamesKeyAndVersionAndRoundTrips() {
    byte[] blob = KmsCiphertext.encrypt(KEY, 7, MATERIAL, "hello".getBytes(StandardCharsets.UTF_8), Map.of("a", "b"));
    assertEquals(4 + 16 + 4 + 12 + 5 + 16, blob.length);
    assertEquals("VGK1", new String(blob, 0, 4, StandardCharsets.US_ASCII));
    KmsCiphertext.Parsed parsed = KmsCiphertext.parse(blob);
    assertEquals(KEY, parsed.keyId());
    assertEquals(7, parsed.version());
    assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), KmsCiphertext.decrypt(parsed, MATERIAL, Map.of("a", "b")));
  }

  @Test
  void contextOrderDoesNotMatterButItsContentDoes() {
    Map<String, String> ab = new LinkedHashMap<>();
    ab.put("a", "1");
    ab.put("b", "2");
    Map<String, String> ba = new LinkedHashMap<>();
    ba.put("b", "2");
    ba.put("a", "1");
    byte[] blob = KmsCiphertext.encrypt(KEY, 1, MATERIAL, new byte[] {1}, ab);
    assertArrayEquals(new byte[] {1}, KmsCiphertext.decrypt(KmsCiphertext.parse(blob), MATERIAL, ba));
    // "a"->"1b" vs "a1"->"b": length prefixes keep these apart
    byte[] tricky = KmsCiphertext.encrypt(KEY, 1, MATERIAL, new byte[] {1}, Map.of("a", "1b"));
    assertThrows(KmsCiphertext.InvalidCiphertext.class,
        () -> KmsCiphertext.decrypt(KmsCiphertext.parse(tricky), MATERIAL, Map.of("a1", "b")));
    assertThrows(KmsCiphertext.InvalidCiphertext.class,
        () -> KmsCiphertext.decrypt(KmsCiphertext.parse(blob), MATERIAL, Map.of()));
  }

  @Test
  void flippedHeaderBitOrWrongMaterialFails() {
    byte[] blob = KmsCiphertext.encrypt(KEY, 1, MATERIAL, new byte[] {1, 2, 3}, Map.of());
    byte[] versionChanged = blob.clone();
    versionChanged[23] ^= 1;
    assertThrows(KmsCiphertext.InvalidCiphertext.class,
        () -> KmsCiphertext.decrypt(KmsCiphertext.parse(versionChanged), MATERIAL, Map.of()));
    byte[] other = new byte[32];
    other[0] = 1;
    assertThrows(KmsCiphertext.InvalidCiphertext.class,
        () -> KmsCiphertext.decrypt(KmsCiphertext.parse(blob), other, Map.of()));
    assertThrows(KmsCiphertext.InvalidCiphertext.class, () -> KmsCiphertext.parse(new byte[10]));
  }

  @Test
  void keyIdParsesIdsArnsAndAliases() {
    assertEquals(KEY, KmsKeyRef.parse(KEY.toString()).keyId());
    KmsKeyRef arn = KmsKeyRef.parse("arn:aws:kms:us-east-1:111122223333:key/" + KEY);
    assertEquals(KEY, arn.keyId());
    assertEquals("111122223333", arn.accountId());
    assertEquals("us-east-1", arn.region());
    assertEquals("alias/prod", KmsKeyRef.parse("alias/prod").aliasName());
    KmsKeyRef aliasArn = KmsKeyRef.parse("arn:aws:kms:eu-west-1:111122223333:alias/prod");
    assertTrue(aliasArn.isAlias());
    assertEquals("alias/prod", aliasArn.aliasName());
    assertNull(KmsKeyRef.parse("prod"));
    assertNull(KmsKeyRef.parse("arn:aws:kms:us-east-1:111122223333:key/not-a-uuid"));
    assertNull(KmsKeyRef.parse("alias/"));
  }
}
