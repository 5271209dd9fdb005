package dev.vaultgate.appliance.runtime;

import io.vertx.core.json.JsonObject;

import java.util.Map;

/** A VM or a local volume this gateway backs up, as the web UI lists it. */
public record ProtectedResource(String kind, String name, String location, Map<String, String> tags) {
  public static final String LOCAL_VOLUME = "LocalVolume";
  public static final String VIRTUAL_MACHINE = "VirtualMachine";

  public JsonObject toJson() {
    return new JsonObject().put("kind", kind).put("name", name).put("location", location).put("tags", new JsonObject(Map.copyOf(tags)));
  }
}
