package dev.vaultgate.appliance.volumes;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Block devices the machine has, from {@code lsblk --json}: offered in the web UI so an operator can choose what
 * to protect. A discovered device is only listed; it is protected once it is in the config's localVolumes.
 */
public final class BlockDevices {
  static final List<String> LSBLK = List.of("lsblk", "--json", "--bytes", "--output", "NAME,PATH,SIZE,TYPE,MOUNTPOINT,FSTYPE,MODEL");

  public record BlockDevice(String name, String path, long sizeBytes, String type, String mountpoint, String fstype, String model) {
    public JsonObject toJson() {
      return new JsonObject().put("name", name).put("path", path).put("sizeBytes", sizeBytes).put("type", type)
          .put("mountpoint", mountpoint).put("fstype", fstype).put("model", model);
    }
  }

  private BlockDevices() {
  }

  /** Runs lsblk; blocking. */
  public static List<BlockDevice> discover() throws IOException {
    return parse(Commands.run(LSBLK, 30));
  }

  /** Parses lsblk's JSON, children (partitions, LVs) after their parent; zero-sized devices are left out. */
  public static List<BlockDevice> parse(String lsblkJson) {
    JsonArray top = new JsonObject(lsblkJson).getJsonArray("blockdevices", new JsonArray());
    List<BlockDevice> out = new ArrayList<>();
    collect(top, out);
    return out;
  }

  private static void collect(JsonArray devices, List<BlockDevice> out) {
    for (int i = 0; i < devices.size(); i++) {
      JsonObject d = devices.getJsonObject(i);
      long size = d.getValue("size") instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(d.getValue("size", "0")));
      if (size > 0) {
        out.add(new BlockDevice(d.getString("name"), d.getString("path", "/dev/" + d.getString("name")), size, d.getString("type"),
            d.getString("mountpoint"), d.getString("fstype"), d.getString("model")));
      }
      if (d.getJsonArray("children") != null) {
        collect(d.getJsonArray("children"), out);
      }
    }
  }
}
