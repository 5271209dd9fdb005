package dev.vaultgate.coordinator.agent;

import io.vertx.core.json.JsonArray;
import java.time.Instant;
import java.util.Map;

/**
 * One protected resource a gateway reports: its ARN, type, display name and tags, and for a VMware
 * VM the details ListVirtualMachines shows (all null when not reported): the hypervisor it runs
 * under, its host and inventory path, its VMware tags ({@code [{"category", "name",
 * "description"?}]}) and when the gateway last read its metadata.
 */
public record InventoryItem(String resourceArn, String resourceType, String name, Map<String, String> tags,
    String hypervisorArn, String hostName, String path, JsonArray vmwareTags, Instant metadataSyncedAt) {

  public InventoryItem(String resourceArn, String resourceType, String name, Map<String, String> tags) {
    this(resourceArn, resourceType, name, tags, null, null, null, new JsonArray(), null);
  }
}
