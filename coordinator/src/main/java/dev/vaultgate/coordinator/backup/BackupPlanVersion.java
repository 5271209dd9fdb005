package dev.vaultgate.coordinator.backup;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One version of a backup plan: the plan's identity and state, and the version's document
 * (the {@code BackupPlan} shape as GetBackupPlan answers it, rule ids filled in).
 */
public record BackupPlanVersion(
    String planId,
    String accountId,
    String arn,
    String name,
    String versionId,
    String creatorRequestId,
    Instant createdAt,
    Instant deletedAt,
    Instant lastExecutionAt,
    JsonObject document) {}
