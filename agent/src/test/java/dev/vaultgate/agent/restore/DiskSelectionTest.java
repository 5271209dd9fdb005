package dev.vaultgate.agent.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vaultgate.agent.vsphere.VmHardware;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiskSelectionTest {
  private static final VmHardware HW = new VmHardware("otherGuest", 1, 1, 32, null, "vmx-11",
      List.of(new VmHardware.Controller(1000, "VirtualLsiLogicController", 0, "noSharing")),
      List.of(new VmHardware.Disk(2000, "Hard disk 1", 16L << 20, "[ds] vm/vm.vmdk", 1000, 0, false, "persistent", null),
          new VmHardware.Disk(2001, "Hard disk 2", 4L << 20, "[ds] vm/vm_1.vmdk", 1000, 1, false, "persistent", null)),
      List.of());
  private static final List<String> DISKS = List.of("scsi0:0", "scsi0:1");

  @Test
  void absentOrBlankMeansEveryDisk() {
    assertNull(DiskSelection.parse(null, HW, DISKS));
    assertNull(DiskSelection.parse(" ", HW, DISKS));
  }

  @Test
  void awsShapeMatchesByDiskIdThenLabelInBackupOrder() {
    assertEquals(List.of("scsi0:1"), DiskSelection.parse("[{\"DiskId\":\"2001\",\"Label\":\"Hard disk 2\"}]", HW, DISKS));
    assertEquals(List.of("scsi0:1"), DiskSelection.parse("[{\"Label\":\"Hard disk 2\"}]", HW, DISKS));
    assertEquals(List.of("scsi0:0", "scsi0:1"), DiskSelection.parse("[{\"DiskId\":\"scsi0:1\"},{\"DiskId\":2000}]", HW, DISKS));
    assertEquals(List.of("scsi0:0"), DiskSelection.parse("[\"Hard disk 1\"]", HW, DISKS));
  }

  @Test
  void unknownDisksAndBadJsonAreOneLineErrorsNamingWhatThereIs() {
    var e = assertThrows(IllegalArgumentException.class, () -> DiskSelection.parse("[{\"DiskId\":\"2002\"}]", HW, DISKS));
    assertEquals("restore metadata DisksToRestore names {\"DiskId\":\"2002\"}, which the backup does not have (it has scsi0:0 (DiskId 2000,"
        + " Label 'Hard disk 1'), scsi0:1 (DiskId 2001, Label 'Hard disk 2'))", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DiskSelection.parse("scsi0:0", HW, DISKS));
    assertEquals("restore metadata DisksToRestore must be a JSON array such as [{\"DiskId\":\"2000\",\"Label\":\"Hard disk 1\"}], got scsi0:0",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DiskSelection.parse("[]", HW, DISKS));
    assertEquals("restore metadata DisksToRestore names no disk: leave it out to restore them all", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DiskSelection.parse("[{\"Size\":1}]", HW, DISKS));
    assertEquals("restore metadata DisksToRestore: {\"Size\":1} has neither DiskId nor Label", e.getMessage());
  }
}
