package dev.vaultgate.vault.lifecycle;

import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.cold.ColdStorage;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.maintenance.GarbageCollector;
import dev.vaultgate.vault.maintenance.GcReport;
import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.testing.TestRgw;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the coordinator does to a vault without its keys, on Ceph RGW: extend the retention of everything a point
 * needs (UpdateRecoveryPointLifecycle lengthening a locked point's life), and move packs to cold vault.storage, both from
 * the points' {@code refs/} lists.
 */
@RequiresRgw
class KeylessLifecycleRgwTest {
  private static final int PACK = 1 << 20;

  @TempDir
  Path dir;
  private EngineFixture vault;
  @AfterEach
  void close() {
    if (vault != null) {
      vault.close();
    }
  }

  private String backup(byte[] data, Instant retainUntil) throws IOException {
    BackupJob.Options options = BackupJob.Options.defaults("disk0");
    return vault.backup(Files.write(dir.resolve("image"), data), retainUntil == null ? options : options.withRetainUntil(retainUntil))
        .recoveryPointId();
  }

  private static byte[] random(long seed, int size) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  private Retention retentionOf(String key) {
    return vault.await(() -> vault.storage.lockState(key)).retention().orElseThrow(() -> new AssertionError(key + " has no retention"));
  }

  @Test
  void aLengthenedLifecycleExtendsTheRetentionOfEverythingThePointNeedsAndNeverShortensIt() throws IOException {
    vault = TestRgw.newVault(dir, true, PACK);
    Instant first = Instant.now().plus(10, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
    String point = backup(random(1, 3 << 20), first);

    PointReferences refs = vault.await(() -> KeylessLifecycle.readReferences(vault.storage, point));
    Set<String> needed = vault.withRepo(repo -> repo.loadPoint(point).map(repo::referencedObjects));
    assertEquals(needed, refs.objects(), "the list names what the sealed manifest and index say the point needs");
    assertEquals(first, retentionOf(ObjectKeys.refs(point)).retainUntil(), "the list is retained like its point");

    // The coordinator's side: a storage opened without the vault key, a later delete date.
    Instant later = first.plus(2, ChronoUnit.HOURS);
    // (retried, as VaultStorages.open gives it: RGW now and then closes a kept-alive connection under a request)
    try (VaultStorage keyless = new RetryingVaultStorage(vault.vertx, new S3VaultStorage(vault.vertx, TestRgw.client(), bucket(), "vault"))) {
      KeylessLifecycle.Extension done = vault.await(() -> KeylessLifecycle.extendRetention(keyless, point, later, RetentionMode.GOVERNANCE));
      assertEquals(needed.size() + 2, done.objects(), "what the point needs, its list and its manifest");
      assertTrue(done.extended() >= needed.size(), "extended: " + done);
      assertEquals(0, done.missing());
      for (String object : needed) {
        Retention r = retentionOf(object);
        assertFalse(r.retainUntil().isBefore(later), object + " retained until " + r.retainUntil());
        assertEquals(RetentionMode.COMPLIANCE, r.mode(), object + " keeps its mode");
      }
      assertEquals(later, retentionOf(ObjectKeys.point(point)).retainUntil());
      assertEquals(later, retentionOf(ObjectKeys.refs(point)).retainUntil());

      // A shorter date (a lifecycle shortened in the database) changes nothing in vault.storage.
      KeylessLifecycle.Extension shorter = vault.await(() -> KeylessLifecycle.extendRetention(keyless, point, first, RetentionMode.GOVERNANCE));
      assertEquals(0, shorter.extended());
      assertEquals(later, retentionOf(ObjectKeys.point(point)).retainUntil(), "never shortened");
    }
    // The vault's own check agrees: everything the point needs is retained as long as its manifest.
    assertTrue(vault.withRepo(repo -> dev.vaultgate.vault.maintenance.VaultChecker.check(repo, false)).ok());
  }

  @Test
  void keylessColdMoveFollowsTheListsAndRefusesWhileAPointHasNone() throws IOException {
    vault = TestRgw.newVault(dir, false, PACK);
    byte[] a = random(2, 3 << 20);
    String old = backup(a, null);
    byte[] b = a.clone();
    System.arraycopy(random(3, 1 << 20), 0, b, 2 << 20, 1 << 20);
    String recent = backup(b, null);
    Set<String> recentPacks = vault.withRepo(repo -> repo.loadPoint(recent).map(repo::referencedPacks));

    ColdStorage.Report report = vault.await(() -> KeylessLifecycle.moveToCold(vault.storage, Set.of(old), "COLD"));
    assertTrue(report.moved() > 0 && report.keptWarm() > 0, report.toString());
    Map<String, String> classes = vault.await(() -> vault.storage.storageClasses(ObjectKeys.PACKS));
    for (String pack : recentPacks) {
      assertEquals("STANDARD", classes.get(ObjectKeys.pack(pack)), "a warm point's pack stays warm");
    }
    Path target = dir.resolve("old");
    vault.withRepo(repo -> repo.loadPoint(old).compose(m -> RestoreJob.run(repo, m, target, RestoreJob.Options.defaults())));
    assertArrayEquals(a, Files.readAllBytes(target));

    // A point without a list (written before lists existed): nothing moves, and the message says what to do.
    vault.await(() -> vault.storage.delete(ObjectKeys.refs(recent)));
    VaultException refused = assertThrows(VaultException.class,
        () -> vault.await(() -> KeylessLifecycle.moveToCold(vault.storage, Set.of(old, recent), "COLD")));
    assertTrue(refused.getMessage().contains("have no reference list") && refused.getMessage().contains("vault gc"),
        refused.getMessage());
    // gc writes the missing list, and the move goes on.
    vault.withRepo(GarbageCollector::collect);
    ColdStorage.Report after = vault.await(() -> KeylessLifecycle.moveToCold(vault.storage, Set.of(old, recent), "COLD"));
    assertEquals(recentPacks.size(), after.moved());
  }

  @Test
  void gcRewritesTheListsOfPointsWhoseChunksItRepackedAndDropsListsOfForgottenPoints() throws IOException {
    vault = TestRgw.newVault(dir, false, PACK);
    byte[] a = random(4, 4 << 20);
    String first = backup(a, null);
    byte[] b = a.clone();
    int kept = 256 << 10; // the second point keeps only the last 256 KiB of the first: a quarter of its last pack
    System.arraycopy(random(5, (4 << 20) - kept), 0, b, 0, (4 << 20) - kept);
    String second = backup(b, null);
    PointReferences before = vault.await(() -> KeylessLifecycle.readReferences(vault.storage, second));
    vault.withRepo(repo -> repo.deletePoint(first));
    assertThrows(Exception.class, () -> vault.await(() -> vault.storage.get(ObjectKeys.refs(first))), "forget drops the list too");
    GcReport gc = vault.withRepo(GarbageCollector::collect);
    assertTrue(gc.packsRepacked() > 0, "gc moved the second point's chunks out of a mostly dead pack: " + gc);

    PointReferences refs = vault.await(() -> KeylessLifecycle.readReferences(vault.storage, second));
    Set<String> needed = vault.withRepo(repo -> repo.loadPoint(second).map(repo::referencedObjects));
    assertEquals(needed, refs.objects(), "after gc the list names the packs the point's chunks are in now");
    assertFalse(refs.objects().equals(before.objects()), "the list was rewritten");
    for (String object : refs.objects()) {
      vault.await(() -> vault.storage.stat(object)); // every object it names exists
    }
  }

  @Test
  void keylessDeletionOfARetainedPointIsRefusedWithNothingLostAndSucceedsOnceTheRetentionPassed() throws Exception {
    vault = TestRgw.newVault(dir, true, PACK);
    Instant until = Instant.now().plusSeconds(4).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    String point = backup(random(7, 2 << 20), until);
    try (VaultStorage keyless = new RetryingVaultStorage(vault.vertx, new S3VaultStorage(vault.vertx, TestRgw.client(), bucket(), "vault"))) {
      Throwable refused = assertThrows(Throwable.class, () -> vault.await(() -> KeylessLifecycle.deletePoint(keyless, point)));
      assertTrue(refused instanceof dev.vaultgate.vault.storage.ObjectLockedException, refused.toString());
      assertTrue(exists(ObjectKeys.point(point)) && exists(ObjectKeys.refs(point)), "nothing lost while retained");

      while (!Instant.now().isAfter(until.plusSeconds(1))) {
        Thread.sleep(200);
      }
      vault.await(() -> KeylessLifecycle.deletePoint(keyless, point));
      assertFalse(exists(ObjectKeys.point(point)), "the manifest is gone");
      assertFalse(exists(ObjectKeys.refs(point)), "the reference list is gone");
      assertEquals(0, vault.await(() -> keyless.list(ObjectKeys.POINTS)).size());
      vault.await(() -> KeylessLifecycle.deletePoint(keyless, point)); // gone already: succeeds
    }
    // The packs are the key holder's: gc frees them now that their retention has passed as well.
    GcReport gc = vault.withRepo(GarbageCollector::collect);
    assertTrue(gc.packsDeleted() > 0 && gc.bytesFreed() > 0, gc.toString());
  }

  private boolean exists(String key) {
    return vault.await(() -> vault.storage.list(key)).stream().anyMatch(o -> o.key().equals(key));
  }

  private String bucket() {
    String where = vault.storage.describe();
    return where.substring("s3://".length(), where.indexOf('/', "s3://".length()));
  }
}
