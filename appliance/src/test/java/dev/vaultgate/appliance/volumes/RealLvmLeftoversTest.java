package dev.vaultgate.appliance.volumes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The removal of leftover snapshots with the production {@link Lvm} against real lvm2 (root, as scripts/test runs):
 * the real {@code lvs} lists origins, the real {@code lvremove} removes. The snapshots are real LVM snapshots in
 * LVM's metadata, made with {@code lvconvert --snapshot} ({@link TestVolumeGroup#createSnapshot}) because this kernel
 * has no device-mapper and {@code lvcreate --snapshot} is refused here; they are never active, and {@code lvremove}
 * of an inactive snapshot works without device-mapper (it exits 0 after LVM's complaints about the missing driver).
 */
class RealLvmLeftoversTest {
  private static final String RUNNING_JOB = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
  private static final String DEAD_JOB = "A1B2C3D4-5E6F-4A1B-8C2D-0123456789AB";

  @TempDir
  Path dir;
  TestVolumeGroup group;

  @BeforeEach
  void makeVolumeGroup() throws IOException {
    group = TestVolumeGroup.create(dir, 96);
    group.createLv("data", "8m");
  }

  @AfterEach
  void removeVolumeGroup() throws IOException {
    if (group != null) {
      group.close();
    }
  }

  @Test
  void leftoverVaultgateSnapshotsAreRemovedAndEveryOtherLvStays() throws IOException {
    String vg = group.vg;
    String dead = LvmSnapshotNames.snapshotName(vg, "data", DEAD_JOB);
    String running = LvmSnapshotNames.snapshotName(vg, "data", RUNNING_JOB);
    group.createSnapshot("data", dead);
    group.createSnapshot("data", running);
    group.createSnapshot("data", "data-vaultgate-job-2"); // the old naming's leftover
    group.createSnapshot("data", "data-vaultgate-monday"); // an operator's own, named alike
    group.createLv(LvmSnapshotNames.snapshotName(vg, "data", "not-a-snapshot"), "4m"); // the marker, but no origin
    List<String> before = group.lvs();
    assertEquals(6, before.size(), before.toString());
    assertTrue(before.contains(dead + "<data"), "lvs lists the snapshot with its origin: " + before);

    Lvm lvm = new Lvm();
    lvm.claim(vg + "/" + running); // a job of this gateway runs with it
    List<String> removed = lvm.removeLeftovers().stream().filter(n -> n.startsWith(vg + "/")).sorted().toList();

    assertEquals(Stream.of(vg + "/" + dead, vg + "/data-vaultgate-job-2").sorted().toList(), removed);
    assertEquals(Stream.of("data", running + "<data", "data-vaultgate-monday<data", LvmSnapshotNames.snapshotName(vg, "data", "not-a-snapshot"))
        .sorted().toList(), group.lvs(), "the running job's snapshot, the operator's and the plain LV stay");

    lvm.release(vg + "/" + running); // the job ended without removing it: the next pass takes it
    assertEquals(List.of(vg + "/" + running), lvm.removeLeftovers().stream().filter(n -> n.startsWith(vg + "/")).toList());
    assertEquals(Stream.of("data", "data-vaultgate-monday<data", LvmSnapshotNames.snapshotName(vg, "data", "not-a-snapshot")).sorted().toList(),
        group.lvs());
  }
}
