package dev.vaultgate.coordinator.backup;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** A restore job: PENDING until a gateway takes it, then RUNNING, COMPLETED, ABORTED or FAILED. */
public record RestoreJob(
    String jobId,
    String accountId,
    String recoveryPointArn,
    String vaultArn,
    String sourceResourceArn,
    String resourceType,
    String iamRoleArn,
    String status,
    String statusMessage,
    String percentDone,
    Long backupSizeBytes,
    JsonObject metadata,
    String createdResourceArn,
    Instant recoveryPointCreatedAt,
    Instant createdAt,
    Instant completedAt,
    String idempotencyToken) {

  /** The filters of ListRestoreJobs; null means "any". */
  public record Filter(String resourceType, String status, Instant createdBefore, Instant createdAfter,
      Instant completeBefore, Instant completeAfter) {}
}
