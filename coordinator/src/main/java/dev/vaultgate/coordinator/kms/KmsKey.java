package dev.vaultgate.coordinator.kms;

import java.time.Instant;
import java.util.UUID;

/** One symmetric KMS key as stored: its state and which material version new encryptions use. */
public record KmsKey(UUID keyId, String accountId, String description, Instant createdAt, boolean enabled,
    Instant deletionDate, Integer pendingWindowDays, boolean rotationEnabled, Integer rotationPeriodDays,
    int currentVersion, Instant lastRotatedAt) {

  /** KMS's KeyState: PendingDeletion wins over Disabled. */
  public String state() {
    if (deletionDate != null) return "PendingDeletion";
    return enabled ? "Enabled" : "Disabled";
  }
}
