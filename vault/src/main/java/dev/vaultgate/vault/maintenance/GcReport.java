package dev.vaultgate.vault.maintenance;

/** What gc did. */
public record GcReport(int packsDeleted, int packsRepacked, int packsKept, long bytesFreed, int chunksRemoved,
                       int indexSegmentsReplaced) {
}
