package dev.vaultgate.coordinator.gateway;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A gateway as the backup-gateway API shows it: GatewayType is always BACKUP_VM; LastSeenTime is
 * its last heartbeat; the hypervisor it is associated with (or null); maintenance start time and
 * bandwidth rate-limit intervals as PutMaintenanceStartTime and PutBandwidthRateLimitSchedule
 * stored them (AWS member names).
 */
public record GatewayDetails(
    String gatewayId,
    String accountId,
    String arn,
    String displayName,
    String softwareVersion,
    Instant lastSeenAt,
    String hypervisorId,
    JsonObject maintenanceStartTime,
    JsonArray bandwidthRateLimitIntervals) {}
