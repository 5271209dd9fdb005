package dev.vaultgate.appliance.volumes;

import dev.vaultgate.appliance.config.ApplianceConfig.LocalVolume;
import dev.vaultgate.appliance.runtime.JobBoard;
import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.backup.BlockSource;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.backup.RestoreResult;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.testing.TestVaults;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Local volumes backed up and restored through the real vault engine into a real S3 server on loopback. */
class LocalVolumeJobsTest {
  static final int MIB = 1 << 20;

  @TempDir
  Path dir;
  Vertx vertx;
  Repository repo;
  WorkerExecutor blocking;
  JobBoard board;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    LocalKeyWrapper key = LocalKeyWrapper.create(dir.resolve("master.key"));
    repo = await(() -> Repository.init(vertx, TestVaults.newS3Storage(vertx), key, VaultSettings.defaults()));
    blocking = vertx.createSharedWorkerExecutor("local-volumes", 2);
    board = new JobBoard(vertx);
  }

  @AfterEach
  void tearDown() {
    repo.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  <T> T await(Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(120));
  }

  Path image(String name, int mib, long seed) throws IOException {
    byte[] data = new byte[mib * MIB];
    new Random(seed).nextBytes(data);
    return Files.write(dir.resolve(name), data);
  }

  LocalVolumeJobs jobs(Lvm lvm, LocalVolumeJobs.SourceOpener opener, int max, LocalVolume... volumes) {
    return new LocalVolumeJobs(repo, board, blocking, lvm, opener, "gw-test", List.of(volumes), max);
  }

  @Test
  void imageFileIsReadLiveSaysSoAndRestoresByteForByte() throws IOException {
    Path img = image("files.img", 8, 1);
    LocalVolumeJobs jobs = jobs(new Lvm(), FileBlockSource::open, 2, new LocalVolume("files", img, Map.of("env", "prod")));
    BackupResult r = await(() -> jobs.backup("files"));
    Manifest m = await(() -> repo.loadPoint(r.recoveryPointId()));
    JsonObject meta = LocalVolumeJobs.metadata(m);
    assertEquals(LocalVolumeJobs.READ_LIVE, meta.getString("consistency"));
    assertEquals("files", meta.getString("volume"));
    assertEquals("prod", meta.getJsonObject("tags").getString("env"));
    assertEquals(img.toString(), meta.getString("source"));

    Path target = dir.resolve("restored.img");
    RestoreResult rr = await(() -> jobs.restore(r.recoveryPointId(), target, false));
    assertEquals(8L * MIB, rr.size());
    assertArrayEquals(Files.readAllBytes(img), Files.readAllBytes(target));

    JsonArray seen = board.snapshot();
    assertEquals(2, seen.size());
    assertTrue(seen.stream().allMatch(j -> "COMPLETED".equals(((JsonObject) j).getString("state"))), seen.encode());
  }

  @Test
  void nextBackupContinuesFromThePreviousPointAndUploadsOnlyTheChange() throws IOException {
    Path img = image("db.img", 8, 2);
    LocalVolumeJobs jobs = jobs(new Lvm(), FileBlockSource::open, 2, new LocalVolume("db", img, Map.of()));
    BackupResult first = await(() -> jobs.backup("db"));
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
      f.seek(3 * MIB);
      byte[] changed = new byte[4096];
      new Random(99).nextBytes(changed);
      f.write(changed);
    }
    BackupResult second = await(() -> jobs.backup("db"));
    assertEquals(first.recoveryPointId(), second.parentId());
    assertEquals(1, second.blocksChanged());
    assertTrue(second.bytesNew() < first.bytesNew() / 10, "only the changed block is new: " + second.bytesNew());
    Path target = dir.resolve("db-restored.img");
    await(() -> jobs.restore(second.recoveryPointId(), target, false));
    assertArrayEquals(Files.readAllBytes(img), Files.readAllBytes(target));
  }

  @Test
  void restoreDoesNotOverwriteAnExistingFileUnlessAsked() throws IOException {
    Path img = image("a.img", 2, 3);
    LocalVolumeJobs jobs = jobs(new Lvm(), FileBlockSource::open, 2, new LocalVolume("a", img, Map.of()));
    BackupResult r = await(() -> jobs.backup("a"));
    Path existing = Files.write(dir.resolve("keep.img"), new byte[] {1, 2, 3});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> await(() -> jobs.restore(r.recoveryPointId(), existing, false)));
    assertTrue(e.getMessage().startsWith("restore target " + existing + " exists"), e.getMessage());
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(existing));
    await(() -> jobs.restore(r.recoveryPointId(), existing, true));
    assertArrayEquals(Files.readAllBytes(img), Files.readAllBytes(existing));
    assertEquals("FAILED", board.snapshot().getJsonObject(1).getString("state"), "the refused restore is a failed job");
  }

  @Test
  void unknownVolumeIsRefusedNamingTheKnownOnes() throws IOException {
    LocalVolumeJobs jobs = jobs(new Lvm(), FileBlockSource::open, 1, new LocalVolume("a", image("a.img", 1, 4), Map.of()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> await(() -> jobs.backup("b")));
    assertEquals("no local volume named 'b' in the config (known: a)", e.getMessage());
  }

  @Test
  void atMostMaxConcurrentJobsRunAtOnce() throws IOException {
    AtomicInteger most = new AtomicInteger();
    vertx.eventBus().<JsonObject>consumer(JobBoard.EVENTS, msg -> most.accumulateAndGet(board.runningCount(), Math::max));
    LocalVolume[] vols = new LocalVolume[3];
    for (int i = 0; i < 3; i++) {
      vols[i] = new LocalVolume("v" + i, image("v" + i + ".img", 4, 10 + i), Map.of());
    }
    LocalVolumeJobs jobs = jobs(new Lvm(), p -> new SlowBlockSource(FileBlockSource.open(p), 20L * MIB), 1, vols);
    await(() -> Future.all(jobs.backup("v0"), jobs.backup("v1"), jobs.backup("v2")));
    assertEquals(1, most.get());
    assertEquals(3, board.snapshot().size());
  }

  /**
   * This kernel has no device-mapper, so no real logical volume can be activated or snapshotted on the test machine
   * (RealLvmTest runs the real LVM as far as it goes here): LVM is the one peer played by a stand-in here. It claims the image is an LV and "snapshots" it by copying the file, which is
   * what a snapshot gives the reader: the content as of that moment.
   */
  @Test
  void logicalVolumeIsReadFromASnapshotThatIsRemovedAfterwards() throws IOException {
    Path img = image("lv.img", 4, 5);
    byte[] atSnapshot = Files.readAllBytes(img);
    List<String> calls = new ArrayList<>();
    Lvm lvm = new Lvm() {
      @Override
      public Optional<LogicalVolume> logicalVolumeOf(Path device) {
        return Optional.of(new LogicalVolume("vg0", "data", img, img, atSnapshot.length));
      }

      @Override
      public LogicalVolume snapshot(LogicalVolume lv, String name, int cowPercent) throws IOException {
        calls.add("snapshot " + lv.fullName() + " " + name);
        Path snap = Files.copy(img, dir.resolve(name));
        Files.write(img, new byte[atSnapshot.length]); // the live volume changes after the snapshot
        return new LogicalVolume("vg0", name, snap, snap, lv.sizeBytes());
      }

      @Override
      public void remove(LogicalVolume snapshot) throws IOException {
        calls.add("remove " + snapshot.fullName());
        Files.delete(snapshot.path());
      }
    };
    LocalVolumeJobs jobs = jobs(lvm, FileBlockSource::open, 1, new LocalVolume("data", img, Map.of()));
    BackupResult r = await(() -> jobs.backup("data"));
    JsonObject meta = LocalVolumeJobs.metadata(await(() -> repo.loadPoint(r.recoveryPointId())));
    assertEquals(LocalVolumeJobs.LVM_SNAPSHOT, meta.getString("consistency"));
    assertEquals(img.toString(), meta.getString("source"), "the point belongs to the volume, not to its snapshot");
    assertEquals(2, calls.size(), calls.toString());
    assertTrue(calls.get(0).matches("snapshot vg0/data data-vaultgate-[0-9a-f]{32}"), calls.toString());
    assertEquals(calls.get(0).replace("snapshot vg0/data ", "remove vg0/"), calls.get(1));
    Path target = dir.resolve("lv-restored.img");
    await(() -> jobs.restore(r.recoveryPointId(), target, false));
    assertArrayEquals(atSnapshot, Files.readAllBytes(target), "the snapshot's content, not the live one's");
  }

  @Test
  void failedSnapshotFallsBackToALiveReadAndSaysWhy() throws IOException {
    Path img = image("lv2.img", 1, 6);
    Lvm lvm = new Lvm() {
      @Override
      public Optional<LogicalVolume> logicalVolumeOf(Path device) {
        return Optional.of(new LogicalVolume("vg0", "full", img, img, MIB));
      }

      @Override
      public LogicalVolume snapshot(LogicalVolume lv, String name, int cowPercent) throws IOException {
        throw new IOException("lvcreate failed (exit 5): Insufficient free space");
      }
    };
    LocalVolumeJobs jobs = jobs(lvm, FileBlockSource::open, 1, new LocalVolume("full", img, Map.of()));
    BackupResult r = await(() -> jobs.backup("full"));
    String consistency = LocalVolumeJobs.metadata(await(() -> repo.loadPoint(r.recoveryPointId()))).getString("consistency");
    assertEquals(LocalVolumeJobs.READ_LIVE + " (LVM snapshot of vg0/full failed: lvcreate failed (exit 5): Insufficient free space)", consistency);
  }

  @Test
  void unreadableVolumeFailsTheJobInOneLineAndStoresNoPoint() throws IOException {
    Path img = image("gone.img", 1, 7);
    LocalVolumeJobs jobs = jobs(new Lvm(), FileBlockSource::open, 1, new LocalVolume("gone", img, Map.of()));
    Files.delete(img);
    RuntimeException e = assertThrows(RuntimeException.class, () -> await(() -> jobs.backup("gone")));
    assertEquals("cannot read source " + img + ": no such file", e.getMessage());
    assertEquals("FAILED", board.snapshot().getJsonObject(0).getString("state"));
    assertNull(await(() -> jobs.previous("gone")));
    assertFalse(board.snapshot().getJsonObject(0).getString("message").contains("\n"));
  }

  @Test
  void imageFileIsNeverTakenForALogicalVolume() throws IOException {
    assertTrue(new Lvm().logicalVolumeOf(image("plain.img", 1, 8)).isEmpty());
  }

  @Test
  void lvsOutputIsParsed() {
    String out = "  vg0|data|/dev/vg0/data|/dev/mapper/vg0-data|10737418240\n  vg-1|root|/dev/vg-1/root|/dev/mapper/vg--1-root|4194304\n";
    List<Lvm.LogicalVolume> lvs = Lvm.parseLvs(out);
    assertEquals(2, lvs.size());
    assertEquals("vg0/data", lvs.get(0).fullName());
    assertEquals(10737418240L, lvs.get(0).sizeBytes());
    assertEquals(Path.of("/dev/mapper/vg--1-root"), lvs.get(1).dmPath());
  }
}
