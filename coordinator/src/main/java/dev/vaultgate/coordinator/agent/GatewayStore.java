package dev.vaultgate.coordinator.agent;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/** Gateways, their tokens and the inventory they report, per account. */
public interface GatewayStore {

  /** Stores a new gateway with the SHA-256 (hex) of its token. */
  Future<Gateway> register(Gateway gateway, String tokenSha256);

  /** The gateway whose token has this SHA-256, or a null result. */
  Future<Gateway> findByToken(String tokenSha256);

  /** The gateway whose certificate has this serial (hex, upper case), or a null result (unknown or deleted). */
  Future<Gateway> findByCertificateSerial(String serialHex);

  /** Serials (hex) of the certificates of deleted gateways: what the gateway listener's CRL lists. */
  Future<List<String>> revokedCertificateSerials();

  /**
   * What the backup-gateway API set for a gateway: the hypervisor it is associated with (or null),
   * its maintenance start time (or null) and bandwidth rate-limit intervals, in AWS member names.
   */
  record Settings(String hypervisorId, JsonObject maintenanceStartTime, JsonArray bandwidthRateLimitIntervals) {}

  Future<Settings> settings(String gatewayId);

  /** Records that the gateway was heard from. */
  Future<Void> heartbeat(String gatewayId, String softwareVersion, Instant now);

  /**
   * Upserts the gateway's resources (a resource reported by another gateway of the account
   * moves to this one); when {@code complete}, the gateway's resources absent from the report
   * are dropped. The number of resources the gateway has afterwards.
   */
  Future<Integer> reportInventory(Gateway gateway, List<InventoryItem> items, boolean complete, Instant now);

  /** The account's inventory, by ARN. */
  Future<List<InventoryItem>> inventory(String accountId);
}
