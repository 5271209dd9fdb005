package dev.vaultgate.appliance.volumes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.appliance.volumes.LvmSnapshotNames.ListedLv;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Snapshot names and the leftover decision, as pure logic; RealLvmLeftoversTest runs them against real lvm2. */
class LvmSnapshotNamesTest {
  private static final String JOB = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
  /** LVM's characters for names ("a-z A-Z 0-9 + _ . -", no leading dash). */
  private static final Pattern LVM_NAME = Pattern.compile("[A-Za-z0-9+_.][A-Za-z0-9+_.-]*");

  @Test
  void aCoordinatorJobIdBecomesItsHexDigitsAfterTheOriginAndTheMarker() {
    assertEquals("data-vaultgate-3f2504e04f8911d39a0c0305e82c3301", LvmSnapshotNames.snapshotName("vg0", "data", JOB));
  }

  @Test
  void namesAreUniquePerJobAndTheSameForTheSameJob() {
    String a = LvmSnapshotNames.snapshotName("vg0", "data", JOB);
    assertEquals(a, LvmSnapshotNames.snapshotName("vg0", "data", JOB.toLowerCase()), "a resumed job meets its dead run's name");
    assertNotEquals(a, LvmSnapshotNames.snapshotName("vg0", "data", "3F2504E0-4F89-11D3-9A0C-0305E82C3302"));
    // ids that are no UUID (the board's own, or anything) are hashed: the name stays legal and distinct
    String other = LvmSnapshotNames.snapshotName("vg0", "data", "job-1");
    assertTrue(other.matches("data-vaultgate-[0-9a-f]{32}"), other);
    assertNotEquals(other, LvmSnapshotNames.snapshotName("vg0", "data", "job-2"));
    String odd = LvmSnapshotNames.snapshotName("vg0", "data", "a/b c:ü");
    assertTrue(LVM_NAME.matcher(odd).matches(), odd);
  }

  @Test
  void longOriginsAreShortenedToLvmsAndDeviceMappersLimits() {
    String vg = "vg-with-dashes";
    String origin = "a-very-long-logical-volume-name-".repeat(4);
    String name = LvmSnapshotNames.snapshotName(vg, origin, JOB);
    assertTrue(name.endsWith("-vaultgate-3f2504e04f8911d39a0c0305e82c3301"), name);
    assertTrue(origin.startsWith(name.substring(0, name.indexOf("-vaultgate-"))), name);
    assertTrue(vg.length() + 1 + name.length() <= 127, "LVM refuses vg/lv of 128 characters: " + name);
    String dm = vg.replace("-", "--") + "-" + name.replace("-", "--") + "-cow";
    assertTrue(dm.length() <= 127, "device-mapper names hold 127 characters: " + dm);
    assertTrue(LvmSnapshotNames.isVaultgateSnapshot(name, origin), "a shortened name is still recognised");
    // a VG so long no origin part fits: the marker and the job alone
    String longVg = "v".repeat(78);
    String bare = LvmSnapshotNames.snapshotName(longVg, "data", JOB);
    assertEquals("vaultgate-3f2504e04f8911d39a0c0305e82c3301", bare);
    assertTrue(LvmSnapshotNames.isVaultgateSnapshot(bare, "data"));
  }

  @Test
  void onlySnapshotsWithTheExactMarkerAreVaultgates() {
    String ours = LvmSnapshotNames.snapshotName("vg0", "data", JOB);
    assertTrue(LvmSnapshotNames.isVaultgateSnapshot(ours, "data"));
    assertTrue(LvmSnapshotNames.isVaultgateSnapshot("data-vaultgate-job-3", "data"), "the old naming's leftovers too");
    assertFalse(LvmSnapshotNames.isVaultgateSnapshot(ours, ""), "an LV named so but not a snapshot");
    assertFalse(LvmSnapshotNames.isVaultgateSnapshot(ours, "other"), "a snapshot of another origin than its name says");
    assertFalse(LvmSnapshotNames.isVaultgateSnapshot("data-vaultgate-monday", "data"), "an operator's own");
    assertFalse(LvmSnapshotNames.isVaultgateSnapshot("data-vaultgate-3f2504e04f8911d39a0c0305e82c330", "data"), "31 digits");
    assertFalse(LvmSnapshotNames.isVaultgateSnapshot("data-vaultgate-3F2504E04F8911D39A0C0305E82C3301", "data"), "upper case");
    assertFalse(LvmSnapshotNames.isVaultgateSnapshot(ours + "-keep", "data"));
    assertFalse(LvmSnapshotNames.isVaultgateSnapshot("data-vaultgate-job-3", "data2"));
    assertFalse(LvmSnapshotNames.isVaultgateSnapshot("data-vaultgate-job-x", "data"));
    assertFalse(LvmSnapshotNames.isVaultgateSnapshot("data-snap-vaultgate", "data"));
  }

  @Test
  void leftoversAreVaultgateSnapshotsNoRunningJobHolds() {
    String running = LvmSnapshotNames.snapshotName("vg0", "data", JOB);
    String dead = LvmSnapshotNames.snapshotName("vg0", "data", "A1B2C3D4-0000-0000-0000-000000000001");
    List<ListedLv> lvs = List.of(
        new ListedLv("vg0", "data", ""),
        new ListedLv("vg0", running, "data"),
        new ListedLv("vg0", dead, "data"),
        new ListedLv("vg1", dead, "data"), // the same name in another VG: another LV
        new ListedLv("vg0", "data-vaultgate-monday", "data"),
        new ListedLv("vg0", "data-vaultgate-job-7", "data"),
        new ListedLv("vg0", LvmSnapshotNames.snapshotName("vg0", "data", "x"), ""));
    List<ListedLv> leftovers = LvmSnapshotNames.leftovers(lvs, Set.of("vg0/" + running));
    assertEquals(List.of("vg0/" + dead, "vg1/" + dead, "vg0/data-vaultgate-job-7"), leftovers.stream().map(ListedLv::fullName).toList());
  }

  @Test
  void lvsOutputWithAndWithoutOriginIsParsed() {
    String out = "  vg0|data|\n  vg0|data-vaultgate-3f2504e04f8911d39a0c0305e82c3301|data\n\n  vg-1|x|  \n";
    assertEquals(List.of(new ListedLv("vg0", "data", ""), new ListedLv("vg0", "data-vaultgate-3f2504e04f8911d39a0c0305e82c3301", "data"),
        new ListedLv("vg-1", "x", "")), Lvm.parseOrigins(out));
  }
}
