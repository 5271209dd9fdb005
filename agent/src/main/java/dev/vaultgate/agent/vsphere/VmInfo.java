package dev.vaultgate.agent.vsphere;

import java.util.List;
import java.util.Map;

/**
 * A VM as the inventory shows it.
 *
 * @param moref                 the managed object id, e.g. vm-42
 * @param instanceUuid          vCenter's id of the VM, stable for its life (config.instanceUuid)
 * @param biosUuid              the guest-visible UUID (config.uuid)
 * @param vmPathName            the .vmx file, {@code [datastore] vm/vm.vmx}
 * @param computeResource       the host's cluster or standalone compute resource
 * @param resourcePool          the resource pool's moref
 * @param powerState            poweredOn, poweredOff or suspended
 * @param customAttributes      custom attribute name → value
 */
public record VmInfo(String name, String moref, String instanceUuid, String biosUuid, String vmPathName,
                     String datacenter, String host, String computeResource, String resourcePool,
                     List<String> datastores, List<String> networks, String powerState,
                     boolean changeTrackingEnabled, VmHardware hardware, Map<String, String> customAttributes,
                     List<String> snapshots) {

  public VmInfo {
    datastores = List.copyOf(datastores);
    networks = List.copyOf(networks);
    customAttributes = Map.copyOf(customAttributes);
    snapshots = List.copyOf(snapshots);
  }

  public boolean poweredOn() {
    return "poweredOn".equals(powerState);
  }

  /** For messages: {@code 'name' (vm-42)}. */
  public String describe() {
    return "'" + name + "' (" + moref + ")";
  }
}
