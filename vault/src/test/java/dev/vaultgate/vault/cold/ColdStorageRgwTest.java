package dev.vaultgate.vault.cold;

import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.VaultStorageException;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.testing.TestRgw;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ObjectVersion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cold storage on Ceph RGW: scripts/rgw adds a storage class COLD to the default placement, with its data in the pool
 * {@code default.rgw.cold.data}. Packs move there when every point that needs them is cold, keep their Object Lock
 * retention, and restore as they are (RGW's classes need no archive restore).
 */
@RequiresRgw
class ColdStorageRgwTest {
  private static final int PACK = 1 << 20;
  private static final String COLD = "COLD";
  private static final String COLD_POOL = "default.rgw.cold.data";

  @TempDir
  Path dir;
  private EngineFixture vault;
  @AfterEach
  void close() {
    if (vault != null) {
      vault.close();
    }
  }

  private BackupResult backup(Path source, Instant retainUntil) {
    BackupJob.Options options = BackupJob.Options.defaults("disk0");
    return vault.backup(source, retainUntil == null ? options : options.withRetainUntil(retainUntil));
  }

  private byte[] restore(String pointId) throws IOException {
    Path target = dir.resolve("restored-" + pointId);
    vault.withRepo(repo -> repo.loadPoint(pointId).compose(m -> RestoreJob.run(repo, m, target, RestoreJob.Options.defaults().withOverwrite(true))));
    return Files.readAllBytes(target);
  }

  private Map<String, String> classes() {
    return vault.await(() -> vault.storage.storageClasses(ObjectKeys.PACKS));
  }

  private Set<String> packsOf(String pointId) {
    return vault.withRepo(repo -> repo.loadPoint(pointId).map(repo::referencedPacks));
  }

  @Test
  void coldPointsPacksMoveToTheColdClassKeepingRetentionAndSharedPacksStayWarm() throws IOException {
    vault = TestRgw.newVault(dir, true, PACK);
    byte[] first = new byte[4 << 20];
    new Random(7).nextBytes(first);
    Path image = dir.resolve("image");
    Files.write(image, first);
    Instant until = Instant.now().plus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
    String old = backup(image, until).recoveryPointId();
    // The second point shares the first half of the disk with the first, and has a new second half.
    byte[] second = first.clone();
    byte[] fresh = new byte[2 << 20];
    new Random(8).nextBytes(fresh);
    System.arraycopy(fresh, 0, second, 2 << 20, fresh.length);
    Files.write(image, second);
    String recent = backup(image, until).recoveryPointId();

    Set<String> oldPacks = packsOf(old);
    Set<String> recentPacks = packsOf(recent);
    Set<String> shared = new HashSet<>(oldPacks);
    shared.retainAll(recentPacks);
    Set<String> oldOnly = new HashSet<>(oldPacks);
    oldOnly.removeAll(recentPacks);
    assertFalse(shared.isEmpty(), "the points share packs");
    assertFalse(oldOnly.isEmpty(), "the old point has packs of its own");
    Map<String, Retention> before = new java.util.HashMap<>();
    for (String pack : oldOnly) {
      before.put(pack, vault.await(() -> vault.storage.lockState(ObjectKeys.pack(pack))).retention().orElseThrow());
    }
    Integer coldPoolBefore = TestRgw.radosObjectCount(COLD_POOL);

    ColdStorage.Report report = vault.withRepo(repo -> ColdStorage.move(repo, Set.of(old), COLD));
    assertEquals(oldOnly.size(), report.moved());
    assertEquals(shared.size(), report.keptWarm());

    Map<String, String> classes = classes();
    for (String pack : oldOnly) {
      assertEquals(COLD, classes.get(ObjectKeys.pack(pack)), "pack " + pack + " only the cold point needs");
      String key = ObjectKeys.pack(pack);
      Retention now = vault.await(() -> vault.storage.lockState(key)).retention().orElseThrow();
      assertEquals(RetentionMode.COMPLIANCE, now.mode());
      assertFalse(now.retainUntil().isBefore(before.get(pack).retainUntil()), "the moved pack is retained as long");
    }
    for (String pack : recentPacks) {
      assertEquals("STANDARD", classes.get(ObjectKeys.pack(pack)), "pack " + pack + " a warm point needs");
    }
    Integer coldPoolAfter = TestRgw.radosObjectCount(COLD_POOL);
    if (coldPoolBefore != null) { // null: an RGW given by the environment without RGW_DIR
      assertTrue(coldPoolAfter > coldPoolBefore, "the bytes lie in the COLD placement's pool now: " + coldPoolBefore
          + " -> " + coldPoolAfter);
    }
    // Object Lock keeps the warm version the copy replaced until its retention ends (gc removes both later).
    try (S3AsyncClient client = TestRgw.client()) {
      String fullKey = "vault/" + ObjectKeys.pack(oldOnly.iterator().next());
      List<ObjectVersion> versions = client.listObjectVersions(b -> b.bucket(bucketOf()).prefix(fullKey)).join().versions();
      assertEquals(2, versions.size(), "the cold copy and the retained warm version");
    }

    assertArrayEquals(first, restore(old), "the cold point restores");
    assertArrayEquals(second, restore(recent), "the warm point restores");

    // Once the recent point is cold too, everything moves; a second pass moves nothing again.
    ColdStorage.Report all = vault.withRepo(repo -> ColdStorage.move(repo, Set.of(old, recent), COLD));
    assertEquals(recentPacks.size(), all.moved());
    assertEquals(oldOnly.size(), all.alreadyCold());
    ColdStorage.Report again = vault.withRepo(repo -> ColdStorage.move(repo, Set.of(old, recent), COLD));
    assertEquals(0, again.moved());
    assertArrayEquals(second, restore(recent), "restores from the cold class");
    assertArrayEquals(first, restore(old));
  }

  @Test
  void anUnlockedVaultKeepsNoWarmCopyAndAnUnknownClassIsRefusedWithItsName() throws IOException {
    vault = TestRgw.newVault(dir, false, PACK);
    byte[] data = new byte[3 << 20];
    new Random(9).nextBytes(data);
    Path image = dir.resolve("image");
    Files.write(image, data);
    String point = backup(image, null).recoveryPointId();
    ColdStorage.Report report = vault.withRepo(repo -> ColdStorage.move(repo, Set.of(point), COLD));
    assertTrue(report.moved() > 0);
    try (S3AsyncClient client = TestRgw.client()) {
      for (String pack : packsOf(point)) {
        String fullKey = "vault/" + ObjectKeys.pack(pack);
        assertEquals(COLD, client.headObject(b -> b.bucket(bucketOf()).key(fullKey)).join().storageClassAsString());
        assertEquals(1, client.listObjectVersions(b -> b.bucket(bucketOf()).prefix(fullKey)).join().versions().size());
      }
    }
    assertArrayEquals(data, restore(point));

    VaultStorageException refused = assertThrows(VaultStorageException.class,
        () -> vault.withRepo(repo -> ColdStorage.move(repo, Set.of(point), "NO_SUCH_CLASS")));
    assertTrue(refused.getMessage().contains("NO_SUCH_CLASS") || refused.getMessage().contains("InvalidArgument"),
        refused.getMessage());
    assertTrue(refused.getMessage().startsWith("cannot change the storage class of packs/"), refused.getMessage());
  }

  @Test
  void aHeldPacksHoldMovesToItsColdCopyAndAWarmVersionPastItsRetentionIsDeleted() throws Exception {
    vault = TestRgw.newVault(dir, true, PACK);
    byte[] data = new byte[2 << 20];
    new Random(10).nextBytes(data);
    Path image = dir.resolve("image");
    Files.write(image, data);
    String point = backup(image, Instant.now().plusSeconds(3)).recoveryPointId();
    vault.withRepo(repo -> dev.vaultgate.vault.maintenance.LegalHolds.hold(repo, point));
    Thread.sleep(4000); // the warm versions' retention passes; the legal hold stays
    ColdStorage.Report report = vault.withRepo(repo -> ColdStorage.move(repo, Set.of(point), COLD));
    assertTrue(report.moved() > 0, report.toString());
    try (S3AsyncClient client = TestRgw.client()) {
      for (String pack : packsOf(point)) {
        String fullKey = "vault/" + ObjectKeys.pack(pack);
        List<ObjectVersion> versions = client.listObjectVersions(b -> b.bucket(bucketOf()).prefix(fullKey)).join().versions();
        assertEquals(1, versions.size(), "the warm version, no longer held nor retained, is gone: " + fullKey);
        assertEquals(COLD, versions.get(0).storageClassAsString());
        assertTrue(vault.await(() -> vault.storage.lockState(ObjectKeys.pack(pack))).legalHold(), "the cold copy carries the hold");
      }
    }
    vault.withRepo(repo -> dev.vaultgate.vault.maintenance.LegalHolds.release(repo, point));
    for (String pack : packsOf(point)) {
      assertFalse(vault.await(() -> vault.storage.lockState(ObjectKeys.pack(pack))).legalHold(), "released: " + pack);
    }
    assertArrayEquals(data, restore(point));
  }

  private String bucketOf() {
    String where = vault.storage.describe(); // s3://bucket/vault
    return where.substring("s3://".length(), where.indexOf('/', "s3://".length()));
  }
}
