package dev.vaultgate.coordinator.gateway;

import io.vertx.core.json.JsonArray;
import java.time.Instant;

/**
 * A VM as a gateway reported it (the inventory), with the creation time of its latest completed
 * recovery point (null when it has none).
 */
public record VirtualMachine(String arn, String name, String hypervisorArn, String hostName, String path,
    JsonArray vmwareTags, Instant lastBackupAt) {}
