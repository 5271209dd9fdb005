package dev.vaultgate.coordinator.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RestoreMetadataTest {

  static final Map<String, String> VOLUME_POINT = Map.of("vaultgate:localVolume", "db", "vaultgate:recoveryPointId", "p-1",
      "vaultgate:bytesRead", "4096");
  static final Map<String, String> VM_POINT = Map.of("VMName", "web-1", "VMPath", "/DC0/vm/team-a",
      "VMDatastore", "LocalDS_0", "vaultgate:backupId", "b-7");

  @Test
  void aTargetAloneRestoresTheLocalVolumePointWithItsOwnKeys() {
    Map<String, String> merged = RestoreMetadata.merge("LocalVolume", VOLUME_POINT, Map.of("TargetDirectory", "/restore"));
    assertEquals("p-1", merged.get("vaultgate:recoveryPointId"));
    assertEquals("db", merged.get("vaultgate:localVolume"));
    assertEquals("/restore", merged.get("TargetDirectory"));
  }

  @Test
  void theCallersKeysWinOverThePointsOwn() {
    Map<String, String> merged = RestoreMetadata.merge("VirtualMachine", VM_POINT,
        Map.of("VMName", "web-1-restored", "PowerOn", "TRUE", "VMPath", "/DC0/vm"));
    assertEquals("web-1-restored", merged.get("VMName"));
    assertEquals("/DC0/vm", merged.get("VMPath"));
    assertEquals("LocalDS_0", merged.get("VMDatastore"), "what the caller left out comes from the point");
    assertEquals("b-7", merged.get("vaultgate:backupId"));
  }

  @Test
  void thePointsOwnMetadataGivenBackUnchangedIsAccepted() {
    assertEquals(VM_POINT, RestoreMetadata.merge("VirtualMachine", VM_POINT, VM_POINT));
    assertEquals(VOLUME_POINT, RestoreMetadata.merge("LocalVolume", VOLUME_POINT, VOLUME_POINT));
  }

  @Test
  void aChangedOrAddedGatewayKeyIsRefusedByName() {
    var changed = assertThrows(RestoreMetadata.InvalidKeyException.class, () -> RestoreMetadata.merge("LocalVolume",
        VOLUME_POINT, Map.of("TargetDirectory", "/r", "vaultgate:recoveryPointId", "p-2")));
    assertTrue(changed.getMessage().startsWith("Metadata key vaultgate:recoveryPointId is 'p-1'"), changed.getMessage());
    var added = assertThrows(RestoreMetadata.InvalidKeyException.class, () -> RestoreMetadata.merge("VirtualMachine",
        VM_POINT, Map.of("vaultgate:recoveryPointId", "p-1")));
    assertTrue(added.getMessage().startsWith("Metadata key vaultgate:recoveryPointId is not in the recovery point's"),
        added.getMessage());
  }

  @Test
  void aKeyThatMeansNothingForTheTypeIsRefusedByName() {
    var vmKey = assertThrows(RestoreMetadata.InvalidKeyException.class, () -> RestoreMetadata.merge("LocalVolume",
        VOLUME_POINT, Map.of("TargetDirectory", "/r", "VMName", "x")));
    assertTrue(vmKey.getMessage().startsWith("Metadata key VMName is not a restore setting of a LocalVolume recovery point"),
        vmKey.getMessage());
    var misspelt = assertThrows(RestoreMetadata.InvalidKeyException.class, () -> RestoreMetadata.merge("VirtualMachine",
        VM_POINT, Map.of("vmname", "x")));
    assertTrue(misspelt.getMessage().contains("(did you mean VMName?)"), misspelt.getMessage());
    var datastore = assertThrows(RestoreMetadata.InvalidKeyException.class, () -> RestoreMetadata.merge("VirtualMachine",
        VM_POINT, Map.of("Datastore", "LocalDS_1")));
    assertTrue(datastore.getMessage().contains("Metadata key Datastore") && datastore.getMessage().contains("VMDatastore?"),
        datastore.getMessage());
  }

  @Test
  void valuesThatMeanNothingAreRefusedByKey() {
    assertThrows(RestoreMetadata.InvalidKeyException.class,
        () -> RestoreMetadata.merge("LocalVolume", VOLUME_POINT, Map.of("RestoreTo", "VMware")), "RestoreTo");
    assertThrows(RestoreMetadata.InvalidKeyException.class,
        () -> RestoreMetadata.merge("VirtualMachine", VM_POINT, Map.of("RestoreTo", "EC2")));
    assertThrows(RestoreMetadata.InvalidKeyException.class,
        () -> RestoreMetadata.merge("VirtualMachine", VM_POINT, Map.of("PowerOn", "yes")));
    assertThrows(RestoreMetadata.InvalidKeyException.class,
        () -> RestoreMetadata.merge("LocalVolume", VOLUME_POINT, Map.of("TargetDirectory", "restore")));
    assertThrows(RestoreMetadata.InvalidKeyException.class,
        () -> RestoreMetadata.merge("VirtualMachine", VM_POINT, Map.of("VMName", " ")));
    var e = assertThrows(RestoreMetadata.InvalidKeyException.class,
        () -> RestoreMetadata.merge("VirtualMachine", VM_POINT, Map.of("RestoreTo", "EC2")));
    assertEquals("Metadata key RestoreTo must be VMware or LocalFile for a VirtualMachine recovery point, got 'EC2'", e.getMessage());
  }

  @Test
  void otherResourceTypesAreMergedUnchecked() {
    assertEquals(Map.of("a", "1", "b", "3"), RestoreMetadata.merge("EBS", Map.of("a", "1", "b", "2"), Map.of("b", "3")));
    assertEquals(Map.of(), RestoreMetadata.merge("VirtualMachine", null, null));
  }
}
