package dev.vaultgate.coordinator.backup;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A backup job. States as AWS documents them: CREATED (waiting for a gateway), PENDING,
 * RUNNING, ABORTING, ABORTED, COMPLETED, FAILED, EXPIRED, PARTIAL. {@code completeBy} is set
 * when a gateway starts the job: {@code completeWindowMinutes} after that.
 */
public record BackupJob(
    String jobId,
    String accountId,
    String vaultName,
    String vaultArn,
    String recoveryPointArn,
    String resourceArn,
    String resourceType,
    String iamRoleArn,
    String state,
    String statusMessage,
    String percentDone,
    Long backupSizeBytes,
    Long bytesTransferred,
    Instant createdAt,
    Instant startBy,
    long completeWindowMinutes,
    Instant completeBy,
    Instant completedAt,
    JsonObject lifecycle,
    JsonObject recoveryPointTags,
    JsonObject backupOptions,
    JsonObject createdBy,
    String idempotencyToken) {

  /** The filters of ListBackupJobs; null means "any". */
  public record Filter(
      String resourceArn,
      String state,
      String vaultName,
      Instant createdBefore,
      Instant createdAfter,
      String resourceType,
      Instant completeAfter,
      Instant completeBefore) {}
}
