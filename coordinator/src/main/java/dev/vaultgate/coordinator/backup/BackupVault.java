package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.VaultLock;
import java.time.Instant;

/** A backup vault of an account; {@code lock} is null when the vault has no lock configuration. */
public record BackupVault(
    String accountId,
    String name,
    String arn,
    Instant createdAt,
    String encryptionKeyArn,
    String creatorRequestId,
    VaultLock lock,
    long recoveryPoints) {}
