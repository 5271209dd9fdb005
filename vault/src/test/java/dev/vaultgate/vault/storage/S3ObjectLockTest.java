package dev.vaultgate.vault.storage;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ObjectVersion;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Object Lock through the storage port against Ceph RGW, with the vault's own credentials (the bucket owner's):
 * what S3 itself enforces, not what Vaultgate promises.
 */
@RequiresRgw
class S3ObjectLockTest {
  private static final byte[] DATA = "sealed pack bytes".getBytes(StandardCharsets.UTF_8);

  private Vertx vertx;
  private S3VaultStorage s3;
  /** As VaultStorages.open does: RGW sometimes closes a kept-alive connection under a request, which is retried. */
  private VaultStorage storage;
  private S3AsyncClient raw;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    s3 = TestRgw.newStorage(vertx, true);
    storage = new RetryingVaultStorage(vertx, s3);
    raw = TestRgw.client();
  }

  @AfterEach
  void close() {
    storage.close();
    raw.close();
    vertx.close();
  }

  private <T> T await(Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(60));
  }

  private static Instant inSeconds(long seconds) {
    return Instant.now().plusSeconds(seconds).truncatedTo(ChronoUnit.SECONDS);
  }

  private String bucket() {
    return storage.describe().substring("s3://".length(), storage.describe().indexOf('/', "s3://".length()));
  }

  private List<ObjectVersion> versions(String key) {
    return raw.listObjectVersions(b -> b.bucket(bucket()).prefix("vault/" + key)).join().versions();
  }

  @Test
  void objectLockEnabledTellsLockedBucketsFromPlainOnes() {
    assertTrue(await(storage::objectLockEnabled));
    VaultStorage plain = new RetryingVaultStorage(vertx, TestRgw.newStorage(vertx, false));
    try {
      assertFalse(await(plain::objectLockEnabled));
    } finally {
      plain.close();
    }
  }

  @Test
  void complianceObjectCannotBeDeletedOrOverwrittenBeforeRetention() {
    Retention retention = new Retention(RetentionMode.COMPLIANCE, inSeconds(3600));
    await(() -> storage.put("packs/aa/locked", DATA, retention, false));

    ObjectLockedException refused = assertThrows(ObjectLockedException.class,
        () -> await(() -> storage.deleteAllVersions("packs/aa/locked", true)));
    assertTrue(refused.getMessage().startsWith("cannot delete packs/aa/locked from " + storage.describe()
        + ": protected by Object Lock"), refused.getMessage());
    assertFalse(refused.isRetryable());

    // An overwrite and a plain delete succeed at the API, but only add a version and a delete marker:
    // the version written under retention is still there, byte for byte, with its retention.
    await(() -> storage.put("packs/aa/locked", "ransom".getBytes(StandardCharsets.UTF_8)));
    await(() -> storage.delete("packs/aa/locked"));
    List<ObjectVersion> versions = versions("packs/aa/locked");
    ObjectVersion original = versions.get(versions.size() - 1);
    byte[] kept = raw.getObject(b -> b.bucket(bucket()).key("vault/packs/aa/locked").versionId(original.versionId()),
        AsyncResponseTransformer.toBytes()).join().asByteArray();
    assertArrayEquals(DATA, kept);
    assertEquals(retention.retainUntil(), raw.getObjectRetention(b -> b.bucket(bucket()).key("vault/packs/aa/locked")
        .versionId(original.versionId())).join().retention().retainUntilDate());
  }

  @Test
  void governanceObjectIsDeletedOnlyWhenTheCallerAsksToBypass() {
    await(() -> storage.put("index/g", DATA, new Retention(RetentionMode.GOVERNANCE, inSeconds(3600)), false));

    assertThrows(ObjectLockedException.class, () -> await(() -> storage.deleteAllVersions("index/g", false)));
    assertArrayEquals(DATA, await(() -> storage.get("index/g")));

    await(() -> storage.deleteAllVersions("index/g", true));
    assertThrows(ObjectNotFoundException.class, () -> await(() -> storage.get("index/g")));
    assertTrue(versions("index/g").isEmpty(), "every version is gone");
  }

  @Test
  void legalHoldBlocksDeletionEvenWithBypassUntilReleased() {
    await(() -> storage.put("points/h", DATA, null, true));
    assertEquals(new ObjectLockState(Optional.empty(), true), await(() -> storage.lockState("points/h")));

    assertThrows(ObjectLockedException.class, () -> await(() -> storage.deleteAllVersions("points/h", true)));
    assertArrayEquals(DATA, await(() -> storage.get("points/h")));

    await(() -> storage.setLegalHold("points/h", false));
    assertEquals(ObjectLockState.NONE, await(() -> storage.lockState("points/h")));
    await(() -> storage.deleteAllVersions("points/h", false));
    assertThrows(ObjectNotFoundException.class, () -> await(() -> storage.stat("points/h")));
  }

  @Test
  void extendRetentionLengthensButNeverShortens() {
    Retention first = new Retention(RetentionMode.COMPLIANCE, inSeconds(600));
    await(() -> storage.put("packs/bb/p", DATA, first, false));

    assertFalse(await(() -> storage.extendRetention("packs/bb/p", new Retention(RetentionMode.COMPLIANCE, inSeconds(60)))));
    assertFalse(await(() -> storage.extendRetention("packs/bb/p", new Retention(RetentionMode.GOVERNANCE, inSeconds(300)))));
    assertEquals(Optional.of(first), await(() -> storage.lockState("packs/bb/p")).retention());

    Retention later = new Retention(RetentionMode.GOVERNANCE, inSeconds(1200));
    assertTrue(await(() -> storage.extendRetention("packs/bb/p", later)));
    // COMPLIANCE stays COMPLIANCE: only the date moved.
    assertEquals(Optional.of(new Retention(RetentionMode.COMPLIANCE, later.retainUntil())),
        await(() -> storage.lockState("packs/bb/p")).retention());
  }

  /** A manifest too large to hold is stored from a file: with its retention and legal hold from its first byte. */
  @Test
  void anObjectPutFromAFileCarriesItsRetentionAndLegalHold() throws Exception {
    byte[] data = new byte[(5 << 20) + 3];
    new java.util.Random(8).nextBytes(data);
    java.nio.file.Path file = java.nio.file.Files.createTempFile("lock-", ".bin");
    try {
      java.nio.file.Files.write(file, data);
      Retention retention = new Retention(RetentionMode.COMPLIANCE, inSeconds(3600));
      await(() -> storage.putFile("points/large", file, data.length, retention, true));
      assertEquals(new ObjectLockState(Optional.of(retention), true), await(() -> storage.lockState("points/large")));
      assertArrayEquals(data, await(() -> storage.get("points/large")));
      assertThrows(ObjectLockedException.class, () -> await(() -> storage.deleteAllVersions("points/large", true)));
      await(() -> storage.setLegalHold("points/large", false));
    } finally {
      java.nio.file.Files.delete(file);
    }
  }

  @Test
  void objectWithoutRetentionHasNoneAndAMissingOneIsNotFound() {
    await(() -> storage.put("config", DATA));
    assertEquals(ObjectLockState.NONE, await(() -> storage.lockState("config")));
    assertThrows(ObjectNotFoundException.class, () -> await(() -> storage.lockState("points/none")));
  }

  @Test
  void complianceRetentionOfSecondsExpiresAndThenTheObjectCanBeDeleted() throws InterruptedException {
    // RGW takes retain-until dates to the second, so expiry is tested for real, not by bypass.
    Instant until = inSeconds(3);
    await(() -> storage.put("packs/cc/short", DATA, new Retention(RetentionMode.COMPLIANCE, until), false));
    assertThrows(ObjectLockedException.class, () -> await(() -> storage.deleteAllVersions("packs/cc/short", false)));

    Thread.sleep(Math.max(0, Duration.between(Instant.now(), until).toMillis()) + 1100);
    await(() -> storage.deleteAllVersions("packs/cc/short", false));
    assertTrue(versions("packs/cc/short").isEmpty());
  }
}
