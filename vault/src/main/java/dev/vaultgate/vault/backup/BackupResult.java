package dev.vaultgate.vault.backup;

/**
 * What a backup did.
 *
 * @param bytesRead     bytes read from the source
 * @param bytesNew      bytes stored in the vault by this backup, after compression and encryption (packs and their headers)
 * @param blocksChanged blocks whose content differs from the previous recovery point at the same offset (all non-zero blocks on a first backup)
 * @param chunksNew     chunks the vault did not hold before
 * @param blocksSparse  all-zero blocks, stored as nothing
 */
public record BackupResult(String recoveryPointId, String parentId, long sourceBytes, long bytesRead, long bytesNew,
                           long blocksChanged, long chunksNew, long blocksSparse, long blocksTotal, double seconds) {
}
