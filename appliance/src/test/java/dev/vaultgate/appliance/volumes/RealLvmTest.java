package dev.vaultgate.appliance.volumes;

import dev.vaultgate.appliance.config.ApplianceConfig.LocalVolume;
import dev.vaultgate.appliance.runtime.JobBoard;
import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.testing.TestVaults;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The production {@link Lvm} against real LVM (Debian's lvm2, installed by scripts/test; root, as scripts/test runs):
 * a volume group of its own on a loop device over a sparse file.
 *
 * <p>What this machine allows: its kernel has no device-mapper (CONFIG_MD is not set and it loads no modules;
 * {@code dmsetup version} answers "/dev/mapper/control: open failed: No such device"), so LVM keeps metadata but can
 * activate, read or snapshot no LV: {@code lvcreate -L 8M -n data VG} fails with "striped: Required device-mapper
 * target(s) not detected in your kernel". The snapshot's data path (a point read from a snapshot, restored to a file and
 * to another LV) therefore cannot be tested here and is not. What is tested is what LVM does without the kernel:
 * recognising an LV by its path through the real {@code lvs}, and a snapshot LVM refuses giving the reason LVM gives,
 * in one line, with nothing left behind; and a backup job of an LV that can be neither snapshotted nor read (inactive:
 * lvs lists it, it has no device node) failing with both reasons. The LVs are made with activation disabled, which works with or without
 * device-mapper, and the VG has no free extents, so lvcreate refuses the snapshot on any kernel.
 */
class RealLvmTest {
  static final long MIB = 1 << 20;
  /** For the test's own setup: LVs stay inactive, so the test runs alike with or without device-mapper. */
  static final String NO_ACTIVATION = Lvm.NO_UDEV + " global { activation = 0 }";

  @TempDir
  Path dir;
  String vg;
  Path loop;
  boolean pvCreated;
  boolean vgCreated;

  static String run(String... command) throws IOException {
    return Commands.run(List.of(command), 120);
  }

  @BeforeEach
  void makeVolumeGroup() throws IOException {
    Path backing = dir.resolve("pv.img");
    try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
      f.setLength(64 * MIB); // sparse
    }
    loop = Path.of(run("losetup", "-f", "--show", backing.toString()).strip());
    // a dash in the name: device-mapper doubles it in /dev/mapper names, which Lvm must agree with
    vg = "vgt-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    run("pvcreate", "--config", NO_ACTIVATION, "--yes", loop.toString());
    pvCreated = true;
    run("vgcreate", "--config", NO_ACTIVATION, vg, loop.toString());
    vgCreated = true;
    run("lvcreate", "--config", NO_ACTIVATION, "--size", "8m", "--name", "data", vg);
    run("lvcreate", "--config", NO_ACTIVATION, "--extents", "100%FREE", "--name", "fill", vg);
  }

  /** Each step is tried even when one before failed, so no VG, PV or loop device outlives a failed test. */
  @AfterEach
  void removeVolumeGroup() throws IOException {
    List<String> failures = new ArrayList<>();
    if (vgCreated) {
      tryRun(failures, "vgremove", "--config", NO_ACTIVATION, "--force", vg);
    }
    if (pvCreated) {
      tryRun(failures, "pvremove", "--config", NO_ACTIVATION, "--yes", "--force", loop.toString());
    }
    if (loop != null) {
      tryRun(failures, "losetup", "-d", loop.toString());
    }
    if (!failures.isEmpty()) {
      throw new IOException("cleanup of " + vg + " on " + loop + ": " + String.join("; ", failures));
    }
  }

  private static void tryRun(List<String> failures, String... command) {
    try {
      run(command);
    } catch (IOException e) {
      failures.add(e.getMessage());
    }
  }

  List<String> lvNames() throws IOException {
    return run("lvs", "--config", Lvm.NO_UDEV, "--noheadings", "-o", "lv_name", vg).lines().map(String::strip).filter(l -> !l.isEmpty())
        .sorted().toList();
  }

  @Test
  void logicalVolumeIsRecognisedByItsPathThroughLvs() {
    Optional<Lvm.LogicalVolume> lv = new Lvm().logicalVolumeOf(Path.of("/dev", vg, "data"));
    assertTrue(lv.isPresent(), "lvs lists " + vg + "/data");
    assertEquals(vg + "/data", lv.get().fullName());
    assertEquals(8 * MIB, lv.get().sizeBytes());
    assertEquals(Path.of("/dev/mapper/" + vg.replace("-", "--") + "-data"), lv.get().dmPath());
    assertTrue(new Lvm().logicalVolumeOf(Path.of("/dev/mapper/" + vg.replace("-", "--") + "-fill")).isPresent(), "by its dm path too");
  }

  @Test
  void physicalVolumeAndUnknownNamesAreNoLogicalVolumes() {
    assertTrue(new Lvm().logicalVolumeOf(loop).isEmpty(), loop + " is a PV, not an LV");
    assertTrue(new Lvm().logicalVolumeOf(Path.of("/dev", vg, "nothing")).isEmpty());
  }

  @Test
  void refusedSnapshotSaysLvmsReasonInOneLineAndLeavesNoSnapshot() throws IOException {
    Lvm lvm = new Lvm();
    Lvm.LogicalVolume data = lvm.logicalVolumeOf(Path.of("/dev", vg, "data")).orElseThrow();
    IOException e = assertThrows(IOException.class, () -> lvm.snapshot(data, "data-vaultgate-job-1", 20));
    String message = e.getMessage();
    assertTrue(message.matches("lvcreate failed \\(exit \\d+\\): .+"), message);
    assertFalse(message.contains("\n") || message.contains("--help") || message.contains("WARNING"), message);
    // without device-mapper LVM refuses for the missing snapshot target; with it, for the full VG
    assertTrue(message.contains("device-mapper") || message.contains("free space") || message.contains("extents"), message);
    assertEquals(List.of("data", "fill"), lvNames(), "no snapshot left in " + vg);
  }

  @Test
  void backupOfAnLvThatCanNeitherBeSnapshottedNorReadFailsInOneLineWithBothReasonsAndStoresNoPoint() throws IOException {
    Vertx vertx = Vertx.vertx();
    try {
      Repository repo = Await.await(vertx, () -> Repository.init(vertx, TestVaults.newS3Storage(vertx),
          LocalKeyWrapper.create(dir.resolve("master.key")), VaultSettings.defaults()), Duration.ofSeconds(120));
      try {
        JobBoard board = new JobBoard(vertx);
        Path data = Path.of("/dev", vg, "data");
        LocalVolumeJobs jobs = new LocalVolumeJobs(repo, board, vertx.createSharedWorkerExecutor("local-volumes", 2), new Lvm(),
            FileBlockSource::open, "gw-test", List.of(new LocalVolume("data", data, Map.of())), 1);
        RuntimeException e = assertThrows(RuntimeException.class, () -> Await.await(vertx, () -> jobs.backup("data"), Duration.ofSeconds(120)));
        String expectedStart = "cannot read source " + data + ": no such file (LVM snapshot of " + vg + "/data failed: lvcreate failed (exit ";
        assertTrue(e.getMessage().startsWith(expectedStart) && e.getMessage().endsWith(")"), e.getMessage());
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("--help"), e.getMessage());
        JsonObject job = board.snapshot().getJsonObject(0);
        assertEquals("FAILED", job.getString("state"));
        assertEquals(e.getMessage(), job.getString("message"));
        assertNull(Await.await(vertx, () -> jobs.previous("data"), Duration.ofSeconds(60)), "no recovery point");
        assertEquals(List.of("data", "fill"), lvNames(), "no snapshot left in " + vg);
      } finally {
        repo.close();
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
  }
}
