package dev.vaultgate.coordinator.gateway;

import io.vertx.core.json.JsonArray;
import java.time.Instant;

/**
 * A hypervisor as stored: {@code state} is what its gateway last reported (PENDING before any
 * report), {@code gatewayLastSeenAt} when the gateway associated with it was last heard from (null
 * when none is), {@code syncStatus} the latest metadata sync's SyncMetadataStatus. The password
 * stays sealed: only the agent API opens it, for the gateway that needs it.
 */
public record Hypervisor(
    String hypervisorId,
    String accountId,
    String arn,
    String name,
    String host,
    String username,
    byte[] passwordSealed,
    String kmsKeyArn,
    String logGroupArn,
    String state,
    String stateMessage,
    String syncStatus,
    String syncMessage,
    Instant lastSyncedAt,
    JsonArray tagMappings,
    String mappingsRoleArn,
    Instant createdAt,
    Instant gatewayLastSeenAt) {

  /** A gateway that missed this many heartbeats has its hypervisors shown OFFLINE. */
  public static final int MISSED_HEARTBEATS_OFFLINE = 3;

  /** The state GetHypervisor and ListHypervisors show at {@code now}, given the heartbeat period. */
  public String stateAt(Instant now, long heartbeatSeconds) {
    if (state.equals("PENDING") || gatewayLastSeenAt == null) return state;
    if (gatewayLastSeenAt.plusSeconds(heartbeatSeconds * MISSED_HEARTBEATS_OFFLINE).isBefore(now)) return "OFFLINE";
    return state;
  }
}
