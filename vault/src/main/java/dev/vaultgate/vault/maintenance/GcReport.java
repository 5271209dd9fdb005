package dev.vaultgate.vault.maintenance;

/**
 * What gc did.
 *
 * @param packsRetained packs gc would have deleted or repacked but left as they are, because Object Lock still
 *                      retains or holds them (or an index segment that is retained still names them)
 */
public record GcReport(int packsDeleted, int packsRepacked, int packsKept, long bytesFreed, int chunksRemoved,
                       int indexSegmentsReplaced, int packsRetained) {
  public GcReport(int packsDeleted, int packsRepacked, int packsKept, long bytesFreed, int chunksRemoved,
                  int indexSegmentsReplaced) {
    this(packsDeleted, packsRepacked, packsKept, bytesFreed, chunksRemoved, indexSegmentsReplaced, 0);
  }
}
