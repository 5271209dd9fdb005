package dev.vaultgate.coordinator.agent;

import java.time.Instant;

/** A registered gateway: the account it works for and when it was last heard from. */
public record Gateway(String gatewayId, String accountId, String arn, String name, String softwareVersion,
    Instant registeredAt, Instant lastSeenAt) {}
