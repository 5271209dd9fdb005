package dev.vaultgate.coordinator.agent;

import java.util.Map;

/** One protected resource a gateway reports: its ARN, type, display name and tags. */
public record InventoryItem(String resourceArn, String resourceType, String name, Map<String, String> tags) {}
