package dev.vaultgate.coordinator.kms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AlreadyExistsException;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.NotFoundException;
import software.amazon.awssdk.services.kms.model.UnsupportedOperationException;

/**
 * The coordinator's KMS API through the real SDK {@code kms} client: keys, aliases, Encrypt/Decrypt/GenerateDataKey,
 * encryption context, key states, rotation, accounts isolated, and the operations not served answered 501.
 */
class KmsApiTest {

  static TestCoordinator env;
  static AccessKey account;
  static KmsClient kms;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    account = env.newAccount();
    kms = env.kmsClient(account);
  }

  static KeyMetadata newKey(String description) {
    return kms.createKey(b -> b.description(description)).keyMetadata();
  }

  static SdkBytes bytes(String s) {
    return SdkBytes.fromString(s, StandardCharsets.UTF_8);
  }

  @Test
  void createdKeyIsDescribedListedAndNamedByAlias() {
    KeyMetadata key = newKey("vault keys");
    assertEquals("arn:aws:kms:us-east-1:" + account.accountId() + ":key/" + key.keyId(), key.arn());
    assertEquals(KeyState.ENABLED, key.keyState());
    assertEquals("SYMMETRIC_DEFAULT", key.keySpecAsString());
    assertEquals("ENCRYPT_DECRYPT", key.keyUsageAsString());
    String alias = "alias/" + TestCoordinator.unique("vault");
    kms.createAlias(b -> b.aliasName(alias).targetKeyId(key.keyId()));
    assertThrows(AlreadyExistsException.class, () -> kms.createAlias(b -> b.aliasName(alias).targetKeyId(key.keyId())));
    for (String ref : new String[] {key.keyId(), key.arn(), alias,
        "arn:aws:kms:us-east-1:" + account.accountId() + ":" + alias}) {
      assertEquals(key.keyId(), kms.describeKey(b -> b.keyId(ref)).keyMetadata().keyId(), ref);
    }
    assertTrue(kms.listKeys(b -> {}).keys().stream().anyMatch(k -> k.keyArn().equals(key.arn())));
    assertTrue(kms.listAliases(b -> b.keyId(key.keyId())).aliases().stream()
        .anyMatch(a -> a.aliasName().equals(alias) && a.targetKeyId().equals(key.keyId())));
    kms.deleteAlias(b -> b.aliasName(alias));
    assertThrows(NotFoundException.class, () -> kms.describeKey(b -> b.keyId(alias)));
    assertThrows(NotFoundException.class, () -> kms.deleteAlias(b -> b.aliasName(alias)));
  }

  @Test
  void listKeysPagesWithMarker() {
    for (int i = 0; i < 3; i++) newKey("page " + i);
    var first = kms.listKeys(b -> b.limit(2));
    assertEquals(2, first.keys().size());
    assertTrue(first.truncated());
    var next = kms.listKeys(b -> b.limit(2).marker(first.nextMarker()));
    assertFalse(next.keys().isEmpty());
    assertTrue(next.keys().stream().noneMatch(k -> first.keys().contains(k)));
  }

  @Test
  void encryptDecryptRoundTripsAndCiphertextNamesItsKey() {
    KeyMetadata key = newKey("round trip");
    Map<String, String> context = Map.of("vault", "prod", "purpose", "test");
    var encrypted = kms.encrypt(b -> b.keyId(key.keyId()).plaintext(bytes("the vault key")).encryptionContext(context));
    assertEquals(key.arn(), encrypted.keyId());
    // no KeyId: the blob names its key
    DecryptResponse plain = kms.decrypt(b -> b.ciphertextBlob(encrypted.ciphertextBlob()).encryptionContext(context));
    assertEquals("the vault key", plain.plaintext().asUtf8String());
    assertEquals(key.arn(), plain.keyId());
    KeyMetadata other = newKey("another");
    assertThrows(IncorrectKeyException.class, () -> kms.decrypt(b -> b.ciphertextBlob(encrypted.ciphertextBlob())
        .encryptionContext(context).keyId(other.keyId())));
  }

  @Test
  void wrongEncryptionContextOrAlteredBlobIsInvalidCiphertext() {
    KeyMetadata key = newKey("context");
    var encrypted = kms.encrypt(b -> b.keyId(key.keyId()).plaintext(bytes("secret")).encryptionContext(Map.of("a", "1")));
    InvalidCiphertextException wrong = assertThrows(InvalidCiphertextException.class, () -> kms.decrypt(b -> b
        .ciphertextBlob(encrypted.ciphertextBlob()).encryptionContext(Map.of("a", "2"))));
    assertEquals(400, wrong.statusCode());
    assertTrue(wrong.awsErrorDetails().errorMessage().contains("encryption context"), wrong.getMessage());
    assertThrows(InvalidCiphertextException.class, () -> kms.decrypt(b -> b.ciphertextBlob(encrypted.ciphertextBlob())));
    byte[] altered = encrypted.ciphertextBlob().asByteArray();
    altered[altered.length - 1] ^= 1;
    assertThrows(InvalidCiphertextException.class, () -> kms.decrypt(b -> b
        .ciphertextBlob(SdkBytes.fromByteArray(altered)).encryptionContext(Map.of("a", "1"))));
    assertThrows(InvalidCiphertextException.class, () -> kms.decrypt(b -> b.ciphertextBlob(bytes("not a blob at all, "
        + "long enough to be one though"))));
  }

  @Test
  void generateDataKeyAnswersAKeyItsBlobDecryptsTo() {
    KeyMetadata key = newKey("data keys");
    GenerateDataKeyResponse dk = kms.generateDataKey(b -> b.keyId(key.arn()).keySpec(DataKeySpec.AES_256));
    assertEquals(32, dk.plaintext().asByteArray().length);
    assertArrayEquals(dk.plaintext().asByteArray(),
        kms.decrypt(b -> b.ciphertextBlob(dk.ciphertextBlob())).plaintext().asByteArray());
    assertEquals(64, kms.generateDataKey(b -> b.keyId(key.keyId()).numberOfBytes(64)).plaintext().asByteArray().length);
    var without = kms.generateDataKeyWithoutPlaintext(b -> b.keyId(key.keyId()).keySpec(DataKeySpec.AES_128)
        .encryptionContext(Map.of("k", "v")));
    assertEquals(16, kms.decrypt(b -> b.ciphertextBlob(without.ciphertextBlob()).encryptionContext(Map.of("k", "v")))
        .plaintext().asByteArray().length);
    assertValidation(() -> kms.generateDataKey(b -> b.keyId(key.keyId())));
    assertValidation(() -> kms.generateDataKey(b -> b.keyId(key.keyId())
        .keySpec(DataKeySpec.AES_256).numberOfBytes(32)));
  }

  @Test
  void disabledKeyCannotEncryptOrDecryptUntilEnabled() {
    KeyMetadata key = newKey("disable");
    var encrypted = kms.encrypt(b -> b.keyId(key.keyId()).plaintext(bytes("x")));
    kms.disableKey(b -> b.keyId(key.keyId()));
    assertEquals(KeyState.DISABLED, kms.describeKey(b -> b.keyId(key.keyId())).keyMetadata().keyState());
    assertThrows(DisabledException.class, () -> kms.encrypt(b -> b.keyId(key.keyId()).plaintext(bytes("x"))));
    assertThrows(DisabledException.class, () -> kms.decrypt(b -> b.ciphertextBlob(encrypted.ciphertextBlob())));
    kms.enableKey(b -> b.keyId(key.keyId()));
    assertEquals("x", kms.decrypt(b -> b.ciphertextBlob(encrypted.ciphertextBlob())).plaintext().asUtf8String());
  }

  @Test
  void keyPendingDeletionCannotBeUsedAndCancellingLeavesItDisabled() {
    KeyMetadata key = newKey("delete");
    var encrypted = kms.encrypt(b -> b.keyId(key.keyId()).plaintext(bytes("x")));
    assertValidation(() -> kms.scheduleKeyDeletion(b -> b.keyId(key.keyId()).pendingWindowInDays(6)));
    assertValidation(() -> kms.scheduleKeyDeletion(b -> b.keyId(key.keyId()).pendingWindowInDays(31)));
    var scheduled = kms.scheduleKeyDeletion(b -> b.keyId(key.keyId()).pendingWindowInDays(7));
    assertEquals(KeyState.PENDING_DELETION, scheduled.keyState());
    assertEquals(7, scheduled.pendingWindowInDays());
    assertThrows(KmsInvalidStateException.class, () -> kms.encrypt(b -> b.keyId(key.keyId()).plaintext(bytes("x"))));
    assertThrows(KmsInvalidStateException.class, () -> kms.decrypt(b -> b.ciphertextBlob(encrypted.ciphertextBlob())));
    assertThrows(KmsInvalidStateException.class, () -> kms.enableKey(b -> b.keyId(key.keyId())));
    kms.cancelKeyDeletion(b -> b.keyId(key.keyId()));
    assertEquals(KeyState.DISABLED, kms.describeKey(b -> b.keyId(key.keyId())).keyMetadata().keyState());
    kms.enableKey(b -> b.keyId(key.keyId()));
    assertEquals("x", kms.decrypt(b -> b.ciphertextBlob(encrypted.ciphertextBlob())).plaintext().asUtf8String());
  }

  @Test
  void rotationEncryptsWithNewMaterialAndOldCiphertextsStayReadable() {
    KeyMetadata key = newKey("rotate");
    assertFalse(kms.getKeyRotationStatus(b -> b.keyId(key.keyId())).keyRotationEnabled());
    kms.enableKeyRotation(b -> b.keyId(key.keyId()).rotationPeriodInDays(90));
    var status = kms.getKeyRotationStatus(b -> b.keyId(key.keyId()));
    assertTrue(status.keyRotationEnabled());
    assertEquals(90, status.rotationPeriodInDays());
    SdkBytes before = kms.encrypt(b -> b.keyId(key.keyId()).plaintext(bytes("old"))).ciphertextBlob();
    kms.rotateKeyOnDemand(b -> b.keyId(key.keyId()));
    SdkBytes after = kms.encrypt(b -> b.keyId(key.keyId()).plaintext(bytes("new"))).ciphertextBlob();
    assertEquals(1, materialVersion(before));
    assertEquals(2, materialVersion(after));
    assertEquals("old", kms.decrypt(b -> b.ciphertextBlob(before)).plaintext().asUtf8String());
    assertEquals("new", kms.decrypt(b -> b.ciphertextBlob(after)).plaintext().asUtf8String());
    kms.disableKeyRotation(b -> b.keyId(key.keyId()));
    assertFalse(kms.getKeyRotationStatus(b -> b.keyId(key.keyId())).keyRotationEnabled());
  }

  @Test
  void listKeyRotationsAnswersEachRotationOldestFirstWithItsDateAndTypeAndPages() {
    KeyMetadata key = newKey("rotations listed");
    assertTrue(kms.listKeyRotations(b -> b.keyId(key.keyId())).rotations().isEmpty(), "a new key has not rotated");
    java.time.Instant before = java.time.Instant.now().minusSeconds(1);
    for (int i = 0; i < 3; i++) {
      kms.rotateKeyOnDemand(b -> b.keyId(key.arn()));
    }
    var all = kms.listKeyRotations(b -> b.keyId(key.keyId()));
    assertEquals(3, all.rotations().size(), all.toString());
    assertFalse(all.truncated());
    java.time.Instant last = before;
    for (var r : all.rotations()) {
      assertEquals(key.arn(), r.keyId());
      assertEquals(software.amazon.awssdk.services.kms.model.RotationType.ON_DEMAND, r.rotationType());
      assertFalse(r.rotationDate().isBefore(last), "oldest first: " + all.rotations());
      assertFalse(r.rotationDate().isAfter(java.time.Instant.now().plusSeconds(1)));
      last = r.rotationDate();
    }
    var page1 = kms.listKeyRotations(b -> b.keyId(key.keyId()).limit(2));
    assertEquals(2, page1.rotations().size());
    assertTrue(page1.truncated());
    var page2 = kms.listKeyRotations(b -> b.keyId(key.keyId()).limit(2).marker(page1.nextMarker()));
    assertEquals(1, page2.rotations().size());
    assertFalse(page2.truncated());
    assertEquals(all.rotations().get(2), page2.rotations().get(0));
    // the key's first material too, without a rotation type
    var withFirst = kms.listKeyRotations(b -> b.keyId(key.keyId()).includeKeyMaterial("ALL_KEY_MATERIAL"));
    assertEquals(4, withFirst.rotations().size());
    assertEquals(null, withFirst.rotations().get(0).rotationType());
    assertThrows(NotFoundException.class, () -> kms.listKeyRotations(b -> b.keyId(java.util.UUID.randomUUID().toString())));
    assertThrows(software.amazon.awssdk.services.kms.model.InvalidMarkerException.class,
        () -> kms.listKeyRotations(b -> b.keyId(key.keyId()).marker("not-a-marker")));
  }

  /** ValidationException is not a modeled KMS error: the SDK raises it as a KmsException with that code, status 400. */
  static void assertValidation(org.junit.jupiter.api.function.Executable call) {
    KmsException e = assertThrows(KmsException.class, call);
    assertEquals("ValidationException", e.awsErrorDetails().errorCode(), e.getMessage());
    assertEquals(400, e.statusCode());
  }

  /** The material version in the blob's header (KmsCiphertext: magic 4, key id 16, version u32). */
  static int materialVersion(SdkBytes blob) {
    return ByteBuffer.wrap(blob.asByteArray()).getInt(20);
  }

  @Test
  void anotherAccountSeesNeitherTheKeyNorItsCiphertexts() {
    KeyMetadata key = newKey("mine");
    var encrypted = kms.encrypt(b -> b.keyId(key.keyId()).plaintext(bytes("x")));
    KmsClient stranger = env.kmsClient(env.newAccount());
    assertThrows(NotFoundException.class, () -> stranger.describeKey(b -> b.keyId(key.arn())));
    assertThrows(NotFoundException.class, () -> stranger.describeKey(b -> b.keyId(key.keyId())));
    assertThrows(NotFoundException.class, () -> stranger.encrypt(b -> b.keyId(key.keyId()).plaintext(bytes("x"))));
    assertThrows(InvalidCiphertextException.class, () -> stranger.decrypt(b -> b.ciphertextBlob(encrypted.ciphertextBlob())));
    assertTrue(stranger.listKeys(b -> {}).keys().isEmpty());
  }

  @Test
  void badInputIsAnsweredWithKmsErrors() {
    assertThrows(NotFoundException.class, () -> kms.describeKey(b -> b.keyId("00000000-0000-0000-0000-000000000000")));
    assertThrows(NotFoundException.class, () -> kms.describeKey(b -> b.keyId("not-a-key")));
    assertThrows(NotFoundException.class, () -> kms.encrypt(b -> b.keyId("alias/nobody").plaintext(bytes("x"))));
    assertThrows(UnsupportedOperationException.class, () -> kms.createKey(b -> b.keySpec("RSA_2048")));
    KmsException notServed = assertThrows(KmsException.class, () -> kms.listGrants(b -> b.keyId("alias/x")));
    assertEquals(501, notServed.statusCode());
    assertEquals("NotImplementedException", notServed.awsErrorDetails().errorCode());
    assertNotEquals(null, notServed.awsErrorDetails().errorMessage());
  }
}
