package dev.vaultgate.coordinator.backup;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A recovery point: status COMPLETED, PARTIAL, EXPIRED or DELETING; storage class WARM, COLD or
 * DELETED; the lifecycle it was given and the dates that lifecycle computes.
 */
public record RecoveryPoint(
    String arn,
    String accountId,
    String vaultName,
    String vaultArn,
    String resourceArn,
    String resourceType,
    String backupJobId,
    String iamRoleArn,
    String status,
    String statusMessage,
    String storageClass,
    Long sizeBytes,
    Instant createdAt,
    Instant completedAt,
    JsonObject lifecycle,
    Instant coldAt,
    Instant deleteAt,
    JsonObject createdBy,
    JsonObject restoreMetadata) {

  public Long moveToColdStorageAfterDays() {
    return lifecycle == null ? null : lifecycle.getLong("MoveToColdStorageAfterDays");
  }

  public Long deleteAfterDays() {
    return lifecycle == null ? null : lifecycle.getLong("DeleteAfterDays");
  }

  /** The filters of ListRecoveryPointsByBackupVault; null means "any". */
  public record Filter(String resourceArn, String resourceType, String backupPlanId, Instant createdBefore,
      Instant createdAfter) {}
}
