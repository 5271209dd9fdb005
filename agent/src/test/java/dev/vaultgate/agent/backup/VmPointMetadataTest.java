package dev.vaultgate.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.vsphere.VmHardware;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.PointHeader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VmPointMetadataTest {
  private static final VmHardware HW = new VmHardware("otherGuest", 2, 1, 2048, "bios", "vmx-11",
      List.of(new VmHardware.Controller(1000, "ParaVirtualSCSIController", 0, "noSharing")),
      List.of(new VmHardware.Disk(2000, "Hard disk 1", 1 << 20, "[ds] vm/disk1.vmdk", 1000, 0, false, "persistent", "52 aa/1"),
          new VmHardware.Disk(2001, "Hard disk 2", 2 << 20, "[ds] vm/disk2.vmdk", 1000, 1, true, "persistent", "52 bb/1")),
      List.of(new VmHardware.Nic(4000, "VirtualVmxnet3", "Network adapter 1", "VM Network", null, null, "00:50:56:00:00:01")));

  private static VmPointMetadata meta(String backupId, long at, String disk, String changeId) {
    return new VmPointMetadata(backupId, at, List.of("scsi0:0", "scsi0:1"), "vc:443", "vm", "vm-1", "uuid-1", "DC0", "cluster",
        List.of("ds"), Map.of("owner", "ops"), HW, new VmPointMetadata.DiskState(disk, 2000, "Hard disk 1", 1 << 20, changeId, "*", "first"),
        "vaultgate-" + backupId, false, "VMware Tools is not running", Map.of("recoveryPointArn", "arn:aws:backup:us-east-1:000000000000:recovery-point:" + backupId));
  }

  private static Manifest manifest(String id, VmPointMetadata m) {
    return new Manifest(id, m.createdAtMillis(), null, m.toJson(), List.of(DiskBlocks.builder(m.disk().name(), 1 << 20, 65536).build()));
  }

  @Test
  void metadataSurvivesItsJsonForm() {
    VmPointMetadata m = meta("b1", 42, "scsi0:0", "52 aa/1");
    assertEquals(m, VmPointMetadata.parse(m.toJson()));
    assertEquals("scsi0:1", HW.diskName(HW.disks().get(1)));
  }

  @Test
  void otherMetadataIsNotAVmPoint() {
    assertNull(VmPointMetadata.parse("{}"));
    assertNull(VmPointMetadata.parse("not json"));
    assertNull(VmPointMetadata.parse(null));
  }

  @Test
  void disksOfOneBackupAreGroupedAndTheNewestCompleteOneIsFound() {
    List<Manifest> manifests = List.of(
        manifest("01", meta("b1", 10, "scsi0:0", "52 aa/1")),
        manifest("02", meta("b1", 10, "scsi0:1", "52 bb/1")),
        manifest("03", meta("b2", 20, "scsi0:0", "52 aa/2")), // its second disk failed
        new Manifest("04", 30, null, "{\"source\":\"/dev/sdb\"}", List.of()));
    List<VmRecoveryPoints.VmBackup> points = VmRecoveryPoints.group(manifests.stream().map(PointHeader::of).toList(), m -> true);
    assertEquals(2, points.size());
    VmRecoveryPoints.VmBackup b1 = points.get(0);
    assertTrue(b1.complete());
    assertEquals("01", b1.points().get("scsi0:0").id());
    assertEquals("02", b1.points().get("scsi0:1").id());
    assertEquals("52 bb/1", b1.diskMetadata().get("scsi0:1").disk().changeId());
    assertFalse(points.get(1).complete());
  }
}
