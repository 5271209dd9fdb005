package dev.vaultgate.appliance;

import dev.vaultgate.appliance.volumes.LocalVolumeJobs;
import dev.vaultgate.appliance.volumes.SlowBlockSource;
import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.S3VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults on the gateway. A full disk (a 4 MiB tmpfs: the file vault a backup writes to, the file a restore writes):
 * the job fails with one line naming what could not be written, and leaves nothing half-written behind.
 * The gateway's vault going away mid-job: the real S3 server stopped while a local volume is backed up. The
 * uploads are retried with backoff, then the job fails with one line; nothing in the vault is corrupt (it checks
 * clean once S3 is back), no recovery point is half-written, and the next backup completes and restores byte for
 * byte.
 */
@Timeout(240)
class ApplianceFaultsTest {
  @TempDir
  Path dir;

  static <T> T await(ApplianceFixture fx, Supplier<Future<T>> work) {
    return Await.await(fx.vertx, work, Duration.ofSeconds(120));
  }

  static JsonObject boardJob(ApplianceFixture fx, String state) {
    for (Object o : fx.appliance.jobs().snapshot()) {
      JsonObject j = (JsonObject) o;
      if (state.equals(j.getString("state"))) return j;
    }
    return null;
  }

  /** Mounts a tmpfs of {@code mib} MiB at {@code where} (the tests run as root, as the embedded PostgreSQL needs). */
  static void mountTinyDisk(Path where, int mib) throws Exception {
    Files.createDirectories(where);
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + mib + "m", "tmpfs", where.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0, "a tmpfs cannot be mounted here: " + out);
  }

  static void unmount(Path where) throws Exception {
    new ProcessBuilder("umount", where.toString()).inheritIO().start().waitFor();
  }

  static List<Path> filesUnder(Path root) throws java.io.IOException {
    try (var s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void aFullDiskFailsTheBackupAndTheRestoreInOneLineAndLeavesNothingHalfWritten() throws Exception {
    Path small = dir.resolve("small-disk");
    mountTinyDisk(small, 4);
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      byte[] data = new byte[16 << 20];
      new java.util.Random(5).nextBytes(data);
      Path image = Files.write(dir.resolve("db.img"), data);
      var volume = new dev.vaultgate.appliance.config.ApplianceConfig.LocalVolume("db", image, java.util.Map.of());
      LocalKeyWrapper key = LocalKeyWrapper.create(dir.resolve("master.key"));
      dev.vaultgate.appliance.runtime.JobBoard board = new dev.vaultgate.appliance.runtime.JobBoard(vertx);
      var blocking = vertx.createSharedWorkerExecutor("local-volumes", 2);

      // a backup into a file vault on the full disk
      Path fullVault = Files.createDirectories(small.resolve("vault"));
      Repository onFullDisk = Await.await(vertx, () -> Repository.init(vertx,
          new dev.vaultgate.vault.storage.FileVaultStorage(vertx, fullVault), key, dev.vaultgate.vault.repo.VaultSettings.defaults()),
          Duration.ofSeconds(60));
      LocalVolumeJobs jobs = new LocalVolumeJobs(onFullDisk, board, blocking, new dev.vaultgate.appliance.volumes.Lvm(),
          FileBlockSource::open, "gw-test", List.of(volume), 1);
      Throwable backupFailure = Await.await(vertx, () -> jobs.backup("db").<Throwable>map(r -> null).recover(Future::succeededFuture),
          Duration.ofSeconds(60));
      assertTrue(backupFailure != null, "the backup fails on a full disk");
      String message = backupFailure.getMessage();
      assertFalse(message.contains("\n"), "one line: " + message);
      assertTrue(message.startsWith("cannot ") && message.contains("No space left on device"), message);
      assertEquals(List.of(), Await.await(vertx, onFullDisk::loadAllPoints, Duration.ofSeconds(30)), "no recovery point");
      assertTrue(filesUnder(fullVault).stream().noneMatch(f -> f.toString().endsWith(".vgtmp")), "no half-written object left");
      CheckReport check = Await.await(vertx, () -> VaultChecker.check(onFullDisk, true), Duration.ofSeconds(60));
      assertTrue(check.ok(), "what the vault holds is intact: " + check.errors());
      JsonObject failed = (JsonObject) board.snapshot().getValue(0);
      assertEquals("FAILED", failed.getString("state"));
      assertEquals(message, failed.getString("message"));
      onFullDisk.close();

      // a restore onto the full disk, from a vault elsewhere
      Path roomyDir = Files.createDirectories(dir.resolve("roomy"));
      Repository roomy = Await.await(vertx, () -> Repository.init(vertx,
          new dev.vaultgate.vault.storage.FileVaultStorage(vertx, roomyDir), key,
          dev.vaultgate.vault.repo.VaultSettings.defaults()), Duration.ofSeconds(60));
      LocalVolumeJobs elsewhere = new LocalVolumeJobs(roomy, board, blocking, new dev.vaultgate.appliance.volumes.Lvm(),
          FileBlockSource::open, "gw-test", List.of(volume), 1);
      BackupResult point = Await.await(vertx, () -> elsewhere.backup("db"), Duration.ofSeconds(60));
      Path target = small.resolve("restored.img");
      Throwable restoreFailure = Await.await(vertx, () -> elsewhere.restore(point.recoveryPointId(), target, false)
          .<Throwable>map(r -> null).recover(Future::succeededFuture), Duration.ofSeconds(60));
      assertTrue(restoreFailure != null, "the restore fails on a full disk");
      assertFalse(restoreFailure.getMessage().contains("\n"), restoreFailure.getMessage());
      assertTrue(restoreFailure.getMessage().contains(target.toString()) && restoreFailure.getMessage().contains("No space left on device"),
          restoreFailure.getMessage());
      assertTrue(Files.notExists(target), "no restored file");
      assertTrue(filesUnder(small).stream().noneMatch(f -> f.getFileName().toString().startsWith("restored.img")),
          "no partial restore left: " + filesUnder(small));
      roomy.close();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
      unmount(small);
    }
  }

  @Test
  void s3StoppedMidBackupIsRetriedThenFailsTheJobInOneLineAndTheVaultStaysClean() throws Exception {
    Appliance.Options options = Appliance.Options.defaults().withHealthInterval(Duration.ofSeconds(1))
        .withOpener(p -> new SlowBlockSource(FileBlockSource.open(p), 16L << 20));
    try (ApplianceFixture fx = new ApplianceFixture(dir, 48, options)) {
      Future<BackupResult> first = fx.appliance.backupVolume("db");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (boardJob(fx, "RUNNING") == null || boardJob(fx, "RUNNING").getLong("bytesDone") < (20L << 20)) {
        assertTrue(System.nanoTime() < deadline, "the backup runs");
        Thread.sleep(50);
      }
      fx.stopS3();
      long stoppedAt = System.nanoTime();
      Throwable failure = Await.await(fx.vertx, () -> first.<Throwable>map(r -> null).recover(Future::succeededFuture),
          Duration.ofSeconds(120));
      long failedAfterMillis = (System.nanoTime() - stoppedAt) / 1_000_000;
      assertTrue(failure != null, "the backup fails while S3 is down");
      String message = failure.getMessage();
      assertFalse(message.contains("\n"), "one line: " + message);
      assertTrue(message.startsWith("cannot ") && message.contains("gateway-vault"), "names the operation and the vault: " + message);
      assertTrue(failedAfterMillis >= 1_000, "uploads are retried with backoff before the job fails (" + failedAfterMillis + " ms)");
      JsonObject failed = boardJob(fx, "FAILED");
      assertEquals(message.split("\n")[0], failed.getString("message"), "the job board shows the job failed with the reason");

      fx.startS3Again();
      BackupResult second = await(fx, () -> fx.appliance.backupVolume("db"));
      assertTrue(second.bytesNew() > 0);

      S3VaultStorage storage = new S3VaultStorage(fx.vertx, S3VaultStorage.newClient(fx.s3.endpoint(), Region.US_EAST_1,
          StaticCredentialsProvider.create(AwsBasicCredentials.create(ApplianceFixture.ACCESS, ApplianceFixture.SECRET))),
          "gateway-vault", "dc1");
      Repository repo = await(fx, () -> Repository.open(fx.vertx, storage, LocalKeyWrapper.load(dir.resolve("master.key"))));
      try {
        List<Manifest> points = await(fx, repo::loadAllPoints);
        assertEquals(1, points.size(), "the failed backup left no recovery point");
        CheckReport check = await(fx, () -> VaultChecker.check(repo, true));
        assertTrue(check.ok(), "nothing corrupt in the vault: " + check.errors());
        Path restored = dir.resolve("restored.img");
        await(fx, () -> RestoreJob.run(repo, points.get(0), restored, RestoreJob.Options.defaults()));
        assertArrayEquals(Files.readAllBytes(fx.volume), Files.readAllBytes(restored));
        assertEquals(LocalVolumeJobs.READ_LIVE, LocalVolumeJobs.metadata(points.get(0)).getString("consistency"));
      } finally {
        repo.close();
        storage.close();
      }
    }
  }
}
