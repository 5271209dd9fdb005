package dev.vaultgate.vault.copy;

/**
 * What a copy did.
 *
 * @param alreadyCopied   the destination held the point already; nothing was read or written
 * @param chunksRead      distinct source chunks read and decrypted
 * @param chunksCopied    chunks the destination lacked, re-encrypted and written
 * @param bytesRead       bytes read from the source's packs
 * @param bytesWritten    bytes of packs written to the destination
 * @param size            the point's logical size: the sum of its disks' sizes
 */
public record CopyResult(String sourcePointId, String destinationPointId, boolean alreadyCopied, long size,
                         long chunksRead, long chunksCopied, long bytesRead, long bytesWritten, double seconds) {
}
