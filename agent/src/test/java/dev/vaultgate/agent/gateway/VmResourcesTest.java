package dev.vaultgate.agent.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vaultgate.agent.vsphere.VmInfo;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VmResourcesTest {
  private static VmInfo vm(Map<String, String> attributes) {
    return new VmInfo("web-1", "vm-42", "50123456-89ab-cdef-0123-456789abcdef", "4201", "[ds] web-1/web-1.vmx", "DC0", "host-1",
        "cluster-1", "resgroup-1", List.of("ds"), List.of("VM Network"), "poweredOn", true, null, attributes, List.of());
  }

  @Test
  void aVmIsNamedByItsInstanceUuidInTheGatewayVmArnShape() {
    String arn = VmResources.arn("eu-west-1", "123456789012", vm(Map.of()));
    assertEquals("arn:aws:backup-gateway:eu-west-1:123456789012:vm/50123456-89ab-cdef-0123-456789abcdef", arn);
    assertEquals("50123456-89ab-cdef-0123-456789abcdef", VmResources.idOf(arn));
    assertNull(VmResources.idOf("arn:aws:ec2:eu-west-1:123456789012:instance/i-1"));
    assertThrows(IllegalArgumentException.class, () -> VmResources.arn("r", "1", "a/b"));
  }

  @Test
  void tagsAreCustomAttributesAndVsphereTagsWithoutTheGatewaysOwnAttributes() {
    VmInfo vm = vm(Map.of("owner", "ops", "empty", "", "vaultgate.backup", "now", "vaultgate.lastBackupState", "COMPLETED"));
    JsonObject r = VmResources.resource("us-east-1", "123456789012", vm, Map.of("backup-tier", "gold"));
    assertEquals("VirtualMachine", r.getString("resourceType"));
    assertEquals("web-1", r.getString("name"));
    assertEquals(new JsonObject().put("backup-tier", "gold").put("owner", "ops"), r.getJsonObject("tags"));
  }
}
