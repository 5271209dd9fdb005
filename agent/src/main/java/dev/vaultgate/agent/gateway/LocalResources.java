package dev.vaultgate.agent.gateway;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Resources a gateway protects beside vCenter's VMs (the appliance's local volumes): reported with every
 * inventory, and their backup jobs, leased like a VM's, run by the implementation. The agent keeps the
 * lease (progress renews it) and reports the outcome.
 */
public interface LocalResources {

  /** Inventory entries ({@code resourceArn, resourceType, name, tags}) of the gateway {@code gatewayId}. */
  JsonArray inventory(String region, String accountId, String gatewayId);

  /** Whether this runs backups of {@code resourceType} (e.g. {@code LocalVolume}). */
  boolean runs(String resourceType);

  /** What a backup job needs to report its progress while it runs. */
  interface Progress {
    void report(double percent, long bytesDone);

    /** True once the job should stop (StopBackupJob, or its lease was lost). */
    boolean shouldStop();
  }

  /**
   * Backs up the job's resource into the vault at {@code vaultLocation}: the completion's body, {@code
   * {"backupSizeInBytes", "restoreMetadata": {..}}}.
   */
  Future<JsonObject> backup(JsonObject job, String vaultLocation, Progress progress);
}
