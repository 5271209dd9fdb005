package dev.vaultgate.appliance.volumes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LVM through its commands: whether a path is a logical volume ({@code lvs}), a short-lived snapshot of one
 * ({@code lvcreate --snapshot}, removed after the backup) that gives the backup one point in time, and the removal of
 * the snapshots backups that died with the gateway left ({@link #removeLeftovers()}). Blocking.
 *
 * <p>One instance per gateway: it knows which snapshots running jobs hold ({@link #claim}), which the removal of
 * leftovers spares.
 */
public class Lvm {
  private static final Logger LOG = LoggerFactory.getLogger(Lvm.class);
  /** udev may be absent (containers, rescue systems): LVM then must not wait for it. */
  static final String NO_UDEV = "activation { udev_sync = 0 udev_rules = 0 }";

  private final Set<String> inUse = ConcurrentHashMap.newKeySet();

  public record LogicalVolume(String vg, String lv, Path path, Path dmPath, long sizeBytes) {
    public String fullName() {
      return vg + "/" + lv;
    }
  }

  /** The logical volume {@code device} is (following symlinks such as /dev/vg/lv -> /dev/dm-3), if it is one. */
  public Optional<LogicalVolume> logicalVolumeOf(Path device) {
    if (Files.isRegularFile(device)) {
      return Optional.empty(); // an image file is never an LV; no need to ask LVM
    }
    List<LogicalVolume> all;
    try {
      all = parseLvs(Commands.run(List.of("lvs", "--config", NO_UDEV, "--noheadings", "--nosuffix", "--units", "b", "--separator", "|",
          "-o", "vg_name,lv_name,lv_path,lv_dm_path,lv_size"), 30));
    } catch (IOException e) {
      return Optional.empty(); // no LVM tools, or no LVM here: the device is read as it is
    }
    Path real = realPath(device);
    return all.stream().filter(lv -> real.equals(realPath(lv.path())) || real.equals(realPath(lv.dmPath()))).findFirst();
  }

  /** Snapshots {@code lv} with room for {@code cowPercent}% of its size in changes; returns the snapshot's device. */
  public LogicalVolume snapshot(LogicalVolume lv, String snapshotName, int cowPercent) throws IOException {
    Commands.run(List.of("lvcreate", "--config", NO_UDEV, "--snapshot", "--name", snapshotName, "--extents", cowPercent + "%ORIGIN",
        "--yes", lv.fullName()), 120);
    Path path = Path.of("/dev", lv.vg(), snapshotName);
    return new LogicalVolume(lv.vg(), snapshotName, path, Path.of("/dev/mapper", lv.vg().replace("-", "--") + "-" + snapshotName.replace("-", "--")),
        lv.sizeBytes());
  }

  public void remove(LogicalVolume snapshot) throws IOException {
    removeLv(snapshot.fullName());
  }

  /**
   * Marks snapshot {@code vg/lv} as held by a running job, before it is made, so {@link #removeLeftovers()} spares it;
   * {@link #release} once it is removed (or was never made).
   */
  public final void claim(String fullName) {
    inUse.add(fullName);
  }

  public final void release(String fullName) {
    inUse.remove(fullName);
  }

  /** Every LV with its origin (empty unless a snapshot); empty when there are no LVM tools or no LVM here. */
  public List<LvmSnapshotNames.ListedLv> listLogicalVolumes() {
    try {
      return parseOrigins(Commands.run(List.of("lvs", "--config", NO_UDEV, "--noheadings", "--separator", "|",
          "-o", "vg_name,lv_name,origin"), 30));
    } catch (IOException e) {
      LOG.debug("no LVM snapshots to look at: {}", e.getMessage());
      return List.of();
    }
  }

  /**
   * Removes each Vaultgate snapshot that no job of this gateway holds ({@link LvmSnapshotNames#leftovers}): left by a
   * backup that died with the gateway. Each removal is logged; one that LVM refuses is logged and the rest go on.
   * Returns the {@code vg/lv} names removed.
   */
  public List<String> removeLeftovers() {
    List<String> removed = new ArrayList<>();
    for (LvmSnapshotNames.ListedLv l : LvmSnapshotNames.leftovers(listLogicalVolumes(), Set.copyOf(inUse))) {
      try {
        removeLv(l.fullName());
        removed.add(l.fullName());
        LOG.info("removed LVM snapshot {} of {}/{}: left by a backup that did not end (no job of this gateway holds it)",
            l.fullName(), l.vg(), l.origin());
      } catch (IOException e) {
        LOG.warn("cannot remove the leftover LVM snapshot {} of {}/{}: {}", l.fullName(), l.vg(), l.origin(), e.getMessage());
      }
    }
    return removed;
  }

  /** {@code lvremove} of {@code vg/lv}; an inactive snapshot is removed even without device-mapper (seen here). */
  void removeLv(String fullName) throws IOException {
    Commands.run(List.of("lvremove", "--config", NO_UDEV, "--yes", fullName), 120);
  }

  /** Parses {@code lvs --noheadings --separator '|' -o vg_name,lv_name,origin}. */
  static List<LvmSnapshotNames.ListedLv> parseOrigins(String out) {
    List<LvmSnapshotNames.ListedLv> lvs = new ArrayList<>();
    for (String line : out.split("\n")) {
      String[] f = line.strip().split("\\|", -1);
      if (f.length < 3 || f[0].isEmpty() || f[1].isEmpty()) {
        continue;
      }
      lvs.add(new LvmSnapshotNames.ListedLv(f[0].strip(), f[1].strip(), f[2].strip()));
    }
    return lvs;
  }

  /** Parses {@code lvs --noheadings --nosuffix --units b --separator '|' -o vg_name,lv_name,lv_path,lv_dm_path,lv_size}. */
  static List<LogicalVolume> parseLvs(String out) {
    List<LogicalVolume> lvs = new ArrayList<>();
    for (String line : out.split("\n")) {
      String[] f = line.strip().split("\\|");
      if (f.length < 5 || f[0].isEmpty()) {
        continue;
      }
      lvs.add(new LogicalVolume(f[0], f[1], Path.of(f[2].isEmpty() ? "/dev/" + f[0] + "/" + f[1] : f[2]), Path.of(f[3]),
          Long.parseLong(f[4].strip())));
    }
    return lvs;
  }

  private static Path realPath(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }
}
