package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.format.ManifestCodec;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.KeyGeneration;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.RetentionLock;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.ObjectLockedException;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.testing.RecordingVaultStorage;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data-key rotation of a COMPLIANCE-locked vault on Ceph RGW: its {@code config} is retained and can never be
 * rewritten, so a rotation must add an object and touch nothing else; the new generation's object is retained as long
 * as every point sealed with it.
 */
@RequiresRgw
class KeyRotationRgwTest {
  private static final int PACK = 1 << 20;

  @TempDir
  Path dir;
  private EngineFixture vault;
  private Vertx vertx;
  private RecordingVaultStorage storage;
  private LocalKeyWrapper key;

  @BeforeEach
  void open() {
    vault = EngineFixture.on(dir, v -> new RecordingVaultStorage(new RetryingVaultStorage(v, TestRgw.newStorage(v, true))));
    vertx = vault.vertx;
    storage = (RecordingVaultStorage) vault.storage;
    key = vault.key;
  }

  @AfterEach
  void close() {
    vault.close();
  }

  private static Instant inSeconds(long seconds) {
    return Instant.now().plusSeconds(seconds).truncatedTo(ChronoUnit.SECONDS);
  }

  private String backup(Path source, Instant retainUntil) throws IOException {
    try (FileBlockSource src = FileBlockSource.open(source)) {
      return vault.withRepo(repo -> BackupJob.run(repo, src, BackupJob.Options.defaults("disk0").withRetainUntil(retainUntil)))
          .recoveryPointId();
    }
  }

  private Retention retentionOf(String objectKey) {
    return vault.await(() -> storage.lockState(objectKey)).retention()
        .orElseThrow(() -> new AssertionError(objectKey + " has no retention"));
  }

  @Test
  void aLockedVaultRotatesWithoutTouchingConfigAndRetainsTheNewGeneration() throws IOException {
    vault.await(() -> Repository.init(vertx, storage, key, new VaultSettings(VaultSettings.DEFAULT_BLOCK_SIZE, PACK)
        .withLock(new RetentionLock(RetentionMode.COMPLIANCE, Duration.ofSeconds(60), Duration.ofDays(1))))).close();
    byte[] a = new byte[2 * PACK];
    new Random(1).nextBytes(a);
    byte[] b = a.clone();
    new Random(2).nextBytes(b); // wholly new: every chunk of the second point is sealed after the rotation
    Path sourceA = Files.write(dir.resolve("a.img"), a);
    Path sourceB = Files.write(dir.resolve("b.img"), b);
    String p0 = backup(sourceA, inSeconds(600));
    byte[] configBefore = vault.await(() -> storage.get(ObjectKeys.CONFIG));

    storage.clear();
    KeyGeneration g1 = vault.withRepo(repo -> repo.rekey(key));
    assertEquals(List.of("put " + ObjectKeys.key(g1.id())), storage.events(), "a rotation adds one object, nothing else");
    assertEquals(RetentionMode.COMPLIANCE, retentionOf(ObjectKeys.key(g1.id())).mode(), "retained from its first byte, for the lock's minimum");

    Instant until = inSeconds(1200);
    String p1 = backup(sourceB, until);
    assertTrue(storage.events("put " + ObjectKeys.CONFIG).isEmpty(), "config is never written again");
    assertArrayEquals(configBefore, vault.await(() -> storage.get(ObjectKeys.CONFIG)));
    byte[] manifest = vault.await(() -> storage.get(ObjectKeys.point(p1)));
    assertEquals(g1.id(), ManifestCodec.generationOf(manifest));
    Retention kept = retentionOf(ObjectKeys.key(g1.id()));
    assertFalse(kept.retainUntil().isBefore(until), "the generation is retained as long as the point: " + kept);
    assertThrows(ObjectLockedException.class, () -> vault.await(() -> storage.deleteAllVersions(ObjectKeys.key(g1.id()), true)));

    for (String[] point : new String[][] {{p0, "a"}, {p1, "b"}}) {
      Path target = dir.resolve("restored-" + point[1]);
      vault.withRepo(repo -> repo.loadPoint(point[0]).compose(m -> RestoreJob.run(repo, m, target, RestoreJob.Options.defaults())));
      assertArrayEquals(point[1].equals("a") ? a : b, Files.readAllBytes(target), point[0]);
    }
    CheckReport report = vault.withRepo(repo -> VaultChecker.check(repo, true));
    assertTrue(report.ok(), report.errors().toString());
    assertTrue(report.warnings().isEmpty(), report.warnings().toString());
  }
}
