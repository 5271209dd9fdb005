package dev.vaultgate.agent.backup;

import dev.vaultgate.agent.vsphere.VmHardware;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metadata of one disk's recovery point in a VM backup, kept as JSON in the manifest: which VM backup it
 * belongs to and its other disks, the VM as it was (identity, placement, hardware, custom attributes), this disk's
 * changeId to continue from, and how it was read.
 *
 * <p>Today a vault manifest holds one disk, so a VM backup is one recovery point per disk sharing a
 * {@code backupId}; it is complete when a point exists for every name in {@code diskNames}.
 *
 * @param vcenter      host:port of the vCenter it came from
 * @param disk         this point's disk
 * @param snapshotName the snapshot it was read from
 * @param quiesced     whether the guest was quiesced (application-consistent) or not (crash-consistent)
 * @param quiesceNote  why a quiesced snapshot was asked for and not taken, or null
 * @param labels       what the caller wants kept with the backup (the gateway: the coordinator's job id and
 *                     recovery point ARN, the VM's vSphere tags), so a restore can find the backup by them
 */
public record VmPointMetadata(String backupId, long createdAtMillis, List<String> diskNames, String vcenter,
                              String vmName, String vmMoref, String instanceUuid, String datacenter, String computeResource,
                              List<String> datastores, Map<String, String> customAttributes, VmHardware hardware,
                              DiskState disk, String snapshotName, boolean quiesced, String quiesceNote,
                              Map<String, String> labels) {
  /** Marks the metadata of a VMware disk point, and its version. */
  public static final String KIND = "vaultgate.vmware-vm-disk";
  public static final int VERSION = 1;

  /**
   * One disk's state at the backup.
   *
   * @param name         {@link VmHardware#diskName}, also the disk's name in the manifest
   * @param changeId     the snapshot's changeId: the next backup asks for changes since it
   * @param changedSince the changeId the read areas were asked from, or "*"
   * @param fullReason   why every area in use was read, or null on an incremental read
   */
  public record DiskState(String name, int key, String label, long capacityBytes, String changeId, String changedSince,
                          String fullReason) {
  }

  public VmPointMetadata {
    diskNames = List.copyOf(diskNames);
    datastores = List.copyOf(datastores);
    customAttributes = Map.copyOf(customAttributes);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /** The label's value, or null. */
  public String label(String name) {
    return labels.get(name);
  }

  public String toJson() {
    JsonObject attrs = new JsonObject();
    customAttributes.forEach(attrs::put);
    JsonObject labelJson = new JsonObject();
    labels.forEach(labelJson::put);
    return new JsonObject()
        .put("kind", KIND)
        .put("version", VERSION)
        .put("backupId", backupId)
        .put("createdAt", createdAtMillis)
        .put("disks", new JsonArray(diskNames))
        .put("vcenter", vcenter)
        .put("vm", new JsonObject()
            .put("name", vmName)
            .put("moref", vmMoref)
            .put("instanceUuid", instanceUuid)
            .put("datacenter", datacenter)
            .put("computeResource", computeResource)
            .put("datastores", new JsonArray(datastores))
            .put("customAttributes", attrs)
            .put("hardware", hardware.toJson()))
        .put("disk", new JsonObject()
            .put("name", disk.name())
            .put("key", disk.key())
            .put("label", disk.label())
            .put("capacityBytes", disk.capacityBytes())
            .put("changeId", disk.changeId())
            .put("changedSince", disk.changedSince())
            .put("fullReason", disk.fullReason()))
        .put("snapshot", new JsonObject().put("name", snapshotName).put("quiesced", quiesced).put("quiesceNote", quiesceNote))
        .put("labels", labelJson)
        .encode();
  }

  /** The metadata of a VMware disk point, or null when {@code json} is something else (another kind of point). */
  public static VmPointMetadata parse(String json) {
    JsonObject j;
    try {
      j = json == null ? null : new JsonObject(json);
    } catch (DecodeException e) {
      return null;
    }
    if (j == null || !KIND.equals(j.getString("kind"))) {
      return null;
    }
    JsonObject vm = j.getJsonObject("vm", new JsonObject());
    JsonObject d = j.getJsonObject("disk", new JsonObject());
    JsonObject s = j.getJsonObject("snapshot", new JsonObject());
    Map<String, String> attrs = new LinkedHashMap<>();
    vm.getJsonObject("customAttributes", new JsonObject()).forEach(e -> attrs.put(e.getKey(), String.valueOf(e.getValue())));
    Map<String, String> labels = new LinkedHashMap<>();
    j.getJsonObject("labels", new JsonObject()).forEach(e -> labels.put(e.getKey(), String.valueOf(e.getValue())));
    return new VmPointMetadata(
        j.getString("backupId"),
        j.getLong("createdAt", 0L),
        strings(j.getJsonArray("disks")),
        j.getString("vcenter"),
        vm.getString("name"),
        vm.getString("moref"),
        vm.getString("instanceUuid"),
        vm.getString("datacenter"),
        vm.getString("computeResource"),
        strings(vm.getJsonArray("datastores")),
        attrs,
        VmHardware.fromJson(vm.getJsonObject("hardware", new JsonObject())),
        new DiskState(d.getString("name"), d.getInteger("key", 0), d.getString("label"), d.getLong("capacityBytes", 0L),
            d.getString("changeId"), d.getString("changedSince"), d.getString("fullReason")),
        s.getString("name"),
        s.getBoolean("quiesced", false),
        s.getString("quiesceNote"),
        labels);
  }

  private static List<String> strings(JsonArray a) {
    return a == null ? List.of() : a.stream().map(String::valueOf).toList();
  }
}
