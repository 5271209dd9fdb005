package dev.vaultgate.coordinator.kms;

import java.time.Instant;
import java.util.UUID;

/** One symmetric KMS key as stored: its state and which material version new encryptions use. */
public record KmsKey(UUID keyId, String accountId, String description, Instant createdAt, boolean enabled,
    Instant deletionDate, Integer pendingWindowDays, boolean rotationEnabled, Integer rotationPeriodDays,
    int currentVersion, Instant lastRotatedAt, Instant rotationSince) {

  /** When automatic rotation is next due: a period after it was enabled or the key last rotated; null when off. */
  public Instant nextRotation() {
    if (!rotationEnabled || rotationPeriodDays == null) return null;
    Instant since = rotationSince == null ? createdAt : rotationSince;
    if (lastRotatedAt != null && lastRotatedAt.isAfter(since)) since = lastRotatedAt;
    return since.plus(java.time.Duration.ofDays(rotationPeriodDays));
  }

  /** Whether automatic rotation is due at {@code now} (never for a key pending deletion). */
  public boolean rotationDue(Instant now) {
    Instant next = nextRotation();
    return next != null && deletionDate == null && !now.isBefore(next);
  }

  /** KMS's KeyState: PendingDeletion wins over Disabled. */
  public String state() {
    if (deletionDate != null) return "PendingDeletion";
    return enabled ? "Enabled" : "Disabled";
  }
}
