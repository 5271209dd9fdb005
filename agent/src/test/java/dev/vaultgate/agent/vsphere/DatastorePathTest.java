package dev.vaultgate.agent.vsphere;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DatastorePathTest {

  @Test
  void parsesAndPrintsVsphereNotation() {
    DatastorePath p = DatastorePath.parse("[LocalDS_0] my vm/disk1.vmdk");
    assertEquals("LocalDS_0", p.datastore());
    assertEquals("my vm/disk1.vmdk", p.path());
    assertEquals("disk1.vmdk", p.fileName());
    assertEquals("[LocalDS_0] my vm/disk1.vmdk", p.toString());
    assertEquals(p, DatastorePath.parse(p.toString()));
  }

  @Test
  void flatExtentOfADescriptorIsItsDashFlatFile() {
    assertEquals("vm/disk1-flat.vmdk", DatastorePath.parse("[ds] vm/disk1.vmdk").flatExtent().path());
    assertEquals("vm/disk1-flat.vmdk", DatastorePath.parse("[ds] vm/disk1-flat.vmdk").flatExtent().path());
    assertThrows(IllegalArgumentException.class, () -> DatastorePath.parse("[ds] vm/vm.vmx").flatExtent());
  }

  @Test
  void textThatIsNoDatastorePathIsRefusedWithTheText() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DatastorePath.parse("vm/disk1.vmdk"));
    assertTrue(e.getMessage().contains("'vm/disk1.vmdk'"), e.getMessage());
  }

  @Test
  void descriptorNamesItsExtentAndSizeInSectors() {
    String d = VmdkDescriptor.flat(16L << 20, "vm-flat.vmdk", "pvscsi");
    assertTrue(d.contains("RW 32768 VMFS \"vm-flat.vmdk\"\n"), d);
    assertTrue(d.contains("ddb.adapterType = \"pvscsi\"\n"), d);
  }
}
