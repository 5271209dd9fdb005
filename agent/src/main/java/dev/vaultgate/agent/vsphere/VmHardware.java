package dev.vaultgate.agent.vsphere;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * What it takes to create a VM like another: CPU, memory, guest OS, firmware, and the disk, controller and
 * network devices, as read from {@code config.hardware}. Kept in every recovery point's metadata as JSON.
 *
 * @param version VM hardware version, e.g. vmx-11
 */
public record VmHardware(String guestId, int numCpu, int coresPerSocket, long memoryMb, String firmware, String version,
                         List<Controller> controllers, List<Disk> disks, List<Nic> nics) {

  /**
   * A storage controller.
   *
   * @param type    the vSphere device type: ParaVirtualSCSIController, VirtualLsiLogicController,
   *                VirtualLsiLogicSASController, VirtualBusLogicController, VirtualAHCIController, VirtualIDEController
   * @param sharing SCSI bus sharing (noSharing, virtualSharing, physicalSharing), null for other controllers
   */
  public record Controller(int key, String type, int busNumber, String sharing) {
    /** scsi, ide, sata or the type itself. */
    public String bus() {
      if (type.contains("IDE")) {
        return "ide";
      }
      if (type.contains("AHCI") || type.contains("Sata")) {
        return "sata";
      }
      if (type.contains("SCSI") || type.contains("LsiLogic") || type.contains("BusLogic")) {
        return "scsi";
      }
      return type;
    }

    /** ddb.adapterType of a disk on this controller. */
    public String adapterType() {
      return switch (type) {
        case "ParaVirtualSCSIController" -> "pvscsi";
        case "VirtualBusLogicController" -> "buslogic";
        case "VirtualLsiLogicSASController" -> "lsilogic";
        case "VirtualIDEController" -> "ide";
        default -> "lsilogic";
      };
    }
  }

  /**
   * A virtual disk.
   *
   * @param fileName the descriptor, {@code [datastore] vm/disk1.vmdk}
   * @param changeId the CBT changeId the disk's backing shows (null when change tracking is off)
   */
  public record Disk(int key, String label, long capacityBytes, String fileName, int controllerKey, int unitNumber,
                     boolean thin, String diskMode, String changeId) {
    public DatastorePath file() {
      return DatastorePath.parse(fileName);
    }
  }

  /**
   * A network card.
   *
   * @param type         VirtualE1000, VirtualE1000e, VirtualVmxnet3, ...
   * @param network      the standard port group's (network's) name; null on a distributed port group
   * @param switchUuid   the distributed switch's UUID, null on a standard network
   * @param portgroupKey the distributed port group's key, null on a standard network
   */
  public record Nic(int key, String type, String label, String network, String switchUuid, String portgroupKey,
                    String macAddress) {
  }

  public VmHardware {
    controllers = List.copyOf(controllers);
    disks = List.copyOf(disks);
    nics = List.copyOf(nics);
  }

  public Controller controller(int key) {
    for (Controller c : controllers) {
      if (c.key() == key) {
        return c;
      }
    }
    return null;
  }

  /**
   * The disk's stable name, as a .vmx names it: {@code scsi0:1}, {@code ide0:0}, {@code sata0:2}. Device keys
   * change when a VM is recreated; the controller bus and unit do not.
   */
  public String diskName(Disk disk) {
    Controller c = controller(disk.controllerKey());
    return c == null ? "disk" + disk.key() : c.bus() + c.busNumber() + ":" + disk.unitNumber();
  }

  public Disk disk(String name) {
    for (Disk d : disks) {
      if (diskName(d).equals(name)) {
        return d;
      }
    }
    return null;
  }

  public JsonObject toJson() {
    JsonArray cs = new JsonArray();
    for (Controller c : controllers) {
      cs.add(new JsonObject().put("key", c.key()).put("type", c.type()).put("busNumber", c.busNumber()).put("sharing", c.sharing()));
    }
    JsonArray ds = new JsonArray();
    for (Disk d : disks) {
      ds.add(new JsonObject().put("name", diskName(d)).put("key", d.key()).put("label", d.label())
          .put("capacityBytes", d.capacityBytes()).put("fileName", d.fileName()).put("controllerKey", d.controllerKey())
          .put("unitNumber", d.unitNumber()).put("thin", d.thin()).put("diskMode", d.diskMode()).put("changeId", d.changeId()));
    }
    JsonArray ns = new JsonArray();
    for (Nic n : nics) {
      ns.add(new JsonObject().put("key", n.key()).put("type", n.type()).put("label", n.label()).put("network", n.network())
          .put("switchUuid", n.switchUuid()).put("portgroupKey", n.portgroupKey()).put("macAddress", n.macAddress()));
    }
    return new JsonObject().put("guestId", guestId).put("numCpu", numCpu).put("coresPerSocket", coresPerSocket)
        .put("memoryMb", memoryMb).put("firmware", firmware).put("version", version)
        .put("controllers", cs).put("disks", ds).put("nics", ns);
  }

  public static VmHardware fromJson(JsonObject j) {
    List<Controller> cs = new ArrayList<>();
    for (Object o : j.getJsonArray("controllers", new JsonArray())) {
      JsonObject c = (JsonObject) o;
      cs.add(new Controller(c.getInteger("key"), c.getString("type"), c.getInteger("busNumber", 0), c.getString("sharing")));
    }
    List<Disk> ds = new ArrayList<>();
    for (Object o : j.getJsonArray("disks", new JsonArray())) {
      JsonObject d = (JsonObject) o;
      ds.add(new Disk(d.getInteger("key"), d.getString("label"), d.getLong("capacityBytes"), d.getString("fileName"),
          d.getInteger("controllerKey", 0), d.getInteger("unitNumber", 0), d.getBoolean("thin", false),
          d.getString("diskMode", "persistent"), d.getString("changeId")));
    }
    List<Nic> ns = new ArrayList<>();
    for (Object o : j.getJsonArray("nics", new JsonArray())) {
      JsonObject n = (JsonObject) o;
      ns.add(new Nic(n.getInteger("key"), n.getString("type"), n.getString("label"), n.getString("network"),
          n.getString("switchUuid"), n.getString("portgroupKey"), n.getString("macAddress")));
    }
    return new VmHardware(j.getString("guestId"), j.getInteger("numCpu", 1), j.getInteger("coresPerSocket", 1),
        j.getLong("memoryMb", 0L), j.getString("firmware"), j.getString("version"), cs, ds, ns);
  }
}
