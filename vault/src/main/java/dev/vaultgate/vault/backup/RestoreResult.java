package dev.vaultgate.vault.backup;

/** What a restore did: the disk's size, the bytes fetched from the vault and written to the target. */
public record RestoreResult(String recoveryPointId, String target, long size, long bytesFetched, long bytesWritten,
                            long chunks, double seconds) {
}
