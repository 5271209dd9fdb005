package dev.vaultgate.coordinator.backup;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** A selection of resources assigned to a plan; the document is the {@code BackupSelection} shape. */
public record BackupSelection(
    String selectionId,
    String planId,
    String accountId,
    String name,
    String iamRoleArn,
    JsonObject document,
    String creatorRequestId,
    Instant createdAt) {}
