package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.vsphere.VsphereTags;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How the gateway names its VMs to the coordinator: AWS's ARN shape for gateway VMs,
 * {@code arn:aws:backup-gateway:<region>:<account>:vm/<id>}, whose id is the VM's instance UUID (vCenter's id of
 * the VM, stable across renames and moves), and the inventory entry the agent API takes.
 */
public final class VmResources {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  private VmResources() {
  }

  public static String arn(String region, String accountId, VmInfo vm) {
    return arn(region, accountId, vm.instanceUuid());
  }

  public static String arn(String region, String accountId, String instanceUuid) {
    if (instanceUuid == null || !ID.matcher(instanceUuid).matches()) {
      throw new IllegalArgumentException("a VM's instance UUID must be letters, digits, '.', '_' or '-', got " + instanceUuid);
    }
    return "arn:aws:backup-gateway:" + region + ":" + accountId + ":vm/" + instanceUuid;
  }

  /** The VM id of a gateway VM ARN, or null when {@code arn} is not one. */
  public static String idOf(String arn) {
    int at = arn == null ? -1 : arn.indexOf(":vm/");
    return at < 0 || !arn.startsWith("arn:aws:backup-gateway:") ? null : arn.substring(at + 4);
  }

  /**
   * The tags a selection matches: the VM's custom attributes, except the gateway's own ({@code vaultgate.*}: the
   * trigger and the outcome it writes back, which change at every backup), and its vSphere tags as
   * {@code category → name}.
   */
  public static Map<String, String> tags(VmInfo vm, Map<String, String> vsphereTags) {
    Map<String, String> tags = new TreeMap<>();
    vm.customAttributes().forEach((k, v) -> {
      if (!k.startsWith("vaultgate.") && v != null && !v.isEmpty()) {
        tags.put(clip(k, 128), clip(v, 256));
      }
    });
    vsphereTags.forEach((k, v) -> tags.put(clip(k, 128), clip(v, 256)));
    return tags;
  }

  /** The agent API's inventory entry. */
  public static JsonObject resource(String region, String accountId, VmInfo vm, Map<String, String> vsphereTags) {
    JsonObject tags = new JsonObject();
    tags(vm, vsphereTags).forEach(tags::put);
    return new JsonObject()
        .put("resourceArn", arn(region, accountId, vm))
        .put("resourceType", "VirtualMachine")
        .put("name", clip(vm.name(), 256))
        .put("tags", tags);
  }

  /** What ListVirtualMachines shows of a VMware VM: its hypervisor, host, path, VMware tags and sync time. */
  public static void addVmwareDetails(JsonObject resource, String hypervisorArn, VmInfo vm,
                                      List<VsphereTags.Tag> vmwareTags, String syncedAt) {
    JsonArray tags = new JsonArray();
    for (var t : vmwareTags) {
      JsonObject tag = new JsonObject().put("category", clip(t.category(), 80)).put("name", clip(t.name(), 80));
      if (t.description() != null && !t.description().isEmpty()) {
        tag.put("description", clip(t.description(), 256));
      }
      tags.add(tag);
    }
    resource.put("hypervisorArn", hypervisorArn)
        .put("path", clip("/" + vm.datacenter() + "/vm/" + vm.name(), 4096))
        .put("vmwareTags", tags)
        .put("metadataSyncedAt", syncedAt);
    if (vm.host() != null) {
      resource.put("hostName", clip(vm.host(), 100));
    }
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
