package dev.vaultgate.coordinator.backup;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** A copy of a recovery point into another vault: CREATED, RUNNING, COMPLETED, FAILED or PARTIAL. */
public record CopyJob(
    String jobId,
    String accountId,
    String sourceVaultArn,
    String sourceRecoveryPointArn,
    String destinationVaultArn,
    String destinationRecoveryPointArn,
    String resourceArn,
    String resourceType,
    String iamRoleArn,
    String state,
    String statusMessage,
    Long backupSizeBytes,
    JsonObject lifecycle,
    JsonObject createdBy,
    Instant createdAt,
    Instant completedAt,
    String idempotencyToken) {

  /** The filters of ListCopyJobs; null means "any". */
  public record Filter(String resourceArn, String state, Instant createdBefore, Instant createdAfter,
      String resourceType, String destinationVaultArn, Instant completeBefore, Instant completeAfter,
      String sourceRecoveryPointArn) {}
}
