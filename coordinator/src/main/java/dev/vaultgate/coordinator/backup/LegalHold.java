package dev.vaultgate.coordinator.backup;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A legal hold: ACTIVE until cancelled (CANCELED). The selection is the API's
 * {@code RecoveryPointSelection}, its dates as epoch seconds.
 */
public record LegalHold(
    String legalHoldId,
    String accountId,
    String arn,
    String title,
    String description,
    String status,
    JsonObject selection,
    String idempotencyToken,
    Instant createdAt,
    Instant cancelledAt,
    String cancelDescription,
    Instant retainRecordUntil) {}
