package dev.vaultgate.coordinator.kms;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vaultgate.coordinator.gateway.SecretSealer;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Key schedules: automatic rotation and deletion, on the operations directly (real PostgreSQL) with call times months apart: a key whose
 * rotation is enabled gets new material with the first encryption after the period, once, and what it encrypted
 * before stays readable.
 */
class KmsRotationScheduleTest {

  static final Instant T0 = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  final KmsOperations ops = new KmsOperations(new PgKmsKeyStore(TestCoordinator.get().coordinator.pool(),
      new SecretSealer(new byte[SecretSealer.KEY_BYTES])), "us-east-1");
  final String account = String.format("%012d", Math.abs(UUID.randomUUID().getMostSignificantBits()) % 1_000_000_000_000L);

  CallContext at(Instant t) {
    return new CallContext(account, "AKIDTEST", UUID.randomUUID().toString(), t);
  }

  CallContext day(int n) {
    return at(T0.plus(Duration.ofDays(n)));
  }

  String encrypt(String keyId, int onDay) {
    return await(ops.encrypt(day(onDay), new JsonObject().put("KeyId", keyId)
        .put("Plaintext", Base64.getEncoder().encodeToString(("day " + onDay).getBytes())))).getString("CiphertextBlob");
  }

  static int version(String blob) {
    return ByteBuffer.wrap(Base64.getDecoder().decode(blob)).getInt(20);
  }

  @Test
  void enabledRotationMakesNewMaterialOnceThePeriodHasPassed() {
    String keyId = await(ops.createKey(day(0), new JsonObject())).getJsonObject("KeyMetadata").getString("KeyId");
    await(ops.enableKeyRotation(day(10), new JsonObject().put("KeyId", keyId).put("RotationPeriodInDays", 90L)));
    JsonObject status = await(ops.getKeyRotationStatus(day(10), new JsonObject().put("KeyId", keyId)));
    assertEquals(T0.plus(Duration.ofDays(100)).getEpochSecond(), status.getLong("NextRotationDate"));
    String early = encrypt(keyId, 99);
    assertEquals(1, version(early));
    String due = encrypt(keyId, 100);
    assertEquals(2, version(due));
    assertEquals(2, version(encrypt(keyId, 101))); // once, not with every call after the date
    assertEquals(T0.plus(Duration.ofDays(190)).getEpochSecond(),
        await(ops.getKeyRotationStatus(day(101), new JsonObject().put("KeyId", keyId))).getLong("NextRotationDate"));
    assertEquals(3, version(encrypt(keyId, 190)));
    JsonObject plain = await(ops.decrypt(day(191), new JsonObject().put("CiphertextBlob", early)));
    assertEquals("day 99", new String(Base64.getDecoder().decode(plain.getString("Plaintext"))));
  }

  @Test
  void keyIsGoneOnceItsDeletionDatePassesAndItsCiphertextsWithIt() {
    String keyId = await(ops.createKey(day(0), new JsonObject())).getJsonObject("KeyMetadata").getString("KeyId");
    String blob = encrypt(keyId, 0);
    await(ops.scheduleKeyDeletion(day(0), new JsonObject().put("KeyId", keyId).put("PendingWindowInDays", 7L)));
    assertEquals("PendingDeletion", await(ops.describeKey(day(6), new JsonObject().put("KeyId", keyId)))
        .getJsonObject("KeyMetadata").getString("KeyState"));
    ApiException gone = (ApiException) assertThrows(IllegalStateException.class,
        () -> await(ops.describeKey(day(7), new JsonObject().put("KeyId", keyId)))).getCause();
    assertEquals("NotFoundException", gone.type());
    ApiException unreadable = (ApiException) assertThrows(IllegalStateException.class,
        () -> await(ops.decrypt(day(7), new JsonObject().put("CiphertextBlob", blob)))).getCause();
    assertEquals("InvalidCiphertextException", unreadable.type());
  }

  @Test
  void disabledRotationNeverRotates() {
    String keyId = await(ops.createKey(day(0), new JsonObject())).getJsonObject("KeyMetadata").getString("KeyId");
    await(ops.enableKeyRotation(day(0), new JsonObject().put("KeyId", keyId).put("RotationPeriodInDays", 90L)));
    await(ops.disableKeyRotation(day(1), new JsonObject().put("KeyId", keyId)));
    assertEquals(1, version(encrypt(keyId, 400)));
    assertFalse(await(ops.getKeyRotationStatus(day(400), new JsonObject().put("KeyId", keyId)))
        .getBoolean("KeyRotationEnabled"));
  }

  @Test
  void listKeyRotationsMakesADueAutomaticRotationAndListsItAsAutomatic() {
    String keyId = await(ops.createKey(day(0), new JsonObject())).getJsonObject("KeyMetadata").getString("KeyId");
    await(ops.enableKeyRotation(day(0), new JsonObject().put("KeyId", keyId).put("RotationPeriodInDays", 90L)));
    await(ops.rotateKeyOnDemand(day(1), new JsonObject().put("KeyId", keyId)));
    assertEquals(1, await(ops.listKeyRotations(day(50), new JsonObject().put("KeyId", keyId))).getJsonArray("Rotations").size());
    // due on day 91 (90 days after the on-demand rotation): asking on day 95 makes it, before any encryption
    var rotations = await(ops.listKeyRotations(day(95), new JsonObject().put("KeyId", keyId))).getJsonArray("Rotations");
    assertEquals(2, rotations.size(), rotations.encode());
    assertEquals("ON_DEMAND", rotations.getJsonObject(0).getString("RotationType"));
    assertEquals("AUTOMATIC", rotations.getJsonObject(1).getString("RotationType"));
    assertEquals(T0.plus(Duration.ofDays(95)).getEpochSecond(), rotations.getJsonObject(1).getLong("RotationDate"));
    assertEquals(3, version(encrypt(keyId, 96)), "the encryption after it uses the new material");
  }
}
