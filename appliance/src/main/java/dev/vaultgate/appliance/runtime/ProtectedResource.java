package dev.vaultgate.appliance.runtime;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/** A VM (with its disks) or a local volume this gateway backs up, as the web UI lists it. */
public record ProtectedResource(String kind, String name, String location, Map<String, String> tags, List<Volume> volumes) {
  public static final String LOCAL_VOLUME = "LocalVolume";
  public static final String VIRTUAL_MACHINE = "VirtualMachine";

  /** One disk of a VM: its name (e.g. scsi0:0) and size. */
  public record Volume(String name, long capacityBytes) {
  }

  public ProtectedResource(String kind, String name, String location, Map<String, String> tags) {
    this(kind, name, location, tags, List.of());
  }

  public JsonObject toJson() {
    JsonArray disks = new JsonArray();
    volumes.forEach(v -> disks.add(new JsonObject().put("name", v.name()).put("capacityBytes", v.capacityBytes())));
    return new JsonObject().put("kind", kind).put("name", name).put("location", location).put("tags", new JsonObject(Map.copyOf(tags)))
        .put("volumes", disks);
  }
}
