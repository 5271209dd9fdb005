package dev.vaultgate.appliance.volumes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * LVM through its commands: whether a path is a logical volume ({@code lvs}), and a short-lived snapshot of one
 * ({@code lvcreate --snapshot}, removed after the backup) that gives the backup one point in time. Blocking.
 */
public class Lvm {
  /** udev may be absent (containers, rescue systems): LVM then must not wait for it. */
  static final String NO_UDEV = "activation { udev_sync = 0 udev_rules = 0 }";

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
    Commands.run(List.of("lvremove", "--config", NO_UDEV, "--yes", snapshot.fullName()), 120);
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
