package dev.vaultgate.appliance.volumes;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A real LVM volume group of its own for a test, on a loop device over a sparse file, with activation off: this
 * machine's kernel has no device-mapper, so no LV is ever active (see {@link RealLvmTest}). Needs root and lvm2, as
 * scripts/test has.
 */
public final class TestVolumeGroup implements AutoCloseable {
  /** For the test's own commands: LVs stay inactive, so they work alike with or without device-mapper. */
  public static final String NO_ACTIVATION = Lvm.NO_UDEV + " global { activation = 0 }";

  public final String vg;
  private final Path loop;
  private boolean vgCreated;
  private boolean pvCreated;

  private TestVolumeGroup(String vg, Path loop) {
    this.vg = vg;
    this.loop = loop;
  }

  static String run(String... command) throws IOException {
    return Commands.run(List.of(command), 120);
  }

  /** A VG of {@code mib} MiB; its name has a dash, which device-mapper doubles, as real names often do. */
  public static TestVolumeGroup create(Path dir, int mib) throws IOException {
    Path backing = dir.resolve("pv-" + System.nanoTime() + ".img");
    try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
      f.setLength((long) mib << 20); // sparse
    }
    Path loop = Path.of(run("losetup", "-f", "--show", backing.toString()).strip());
    TestVolumeGroup g = new TestVolumeGroup("vgt-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()), loop);
    try {
      run("pvcreate", "--config", NO_ACTIVATION, "--yes", loop.toString());
      g.pvCreated = true;
      run("vgcreate", "--config", NO_ACTIVATION, g.vg, loop.toString());
      g.vgCreated = true;
    } catch (IOException | RuntimeException e) {
      g.close();
      throw e;
    }
    return g;
  }

  public void createLv(String name, String size) throws IOException {
    run("lvcreate", "--config", NO_ACTIVATION, "--size", size, "--name", name, vg);
  }

  /**
   * A real LVM snapshot of {@code origin} named {@code name}, in LVM's metadata and never active. {@code lvcreate
   * --snapshot} cannot make one here (with activation off: "Can't create snapshot without using device-mapper kernel
   * driver."; with it on: "snapshot: Required device-mapper target(s) not detected in your kernel."), but {@code
   * lvconvert --snapshot --zero n} of an LV made for its changes records the same snapshot without the kernel: {@code
   * lvs} shows it with its origin, as it would a snapshot a backup took.
   */
  public void createSnapshot(String origin, String name) throws IOException {
    createLv(name, "4m");
    run("lvconvert", "--config", NO_ACTIVATION, "--yes", "--zero", "n", "--snapshot", vg + "/" + origin, vg + "/" + name);
  }

  /** The VG's LVs as {@code name<origin} (or {@code name} when not a snapshot), sorted. */
  public List<String> lvs() throws IOException {
    return run("lvs", "--config", NO_ACTIVATION, "--noheadings", "--separator", "|", "-o", "lv_name,origin", vg).lines()
        .map(String::strip).filter(l -> !l.isEmpty()).map(l -> l.endsWith("|") ? l.substring(0, l.length() - 1) : l.replace("|", "<"))
        .sorted().toList();
  }

  /** Each step is tried even when one before failed, so no VG, PV or loop device outlives a test. */
  @Override
  public void close() throws IOException {
    List<String> failures = new ArrayList<>();
    if (vgCreated) {
      tryRun(failures, "vgremove", "--config", NO_ACTIVATION, "--force", vg);
    }
    if (pvCreated) {
      tryRun(failures, "pvremove", "--config", NO_ACTIVATION, "--yes", "--force", loop.toString());
    }
    tryRun(failures, "losetup", "-d", loop.toString());
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
}
