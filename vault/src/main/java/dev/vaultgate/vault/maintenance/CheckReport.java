package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.format.IndexEntry;

import java.util.List;

/**
 * What a check found: errors mean a recovery point cannot be restored as stored; warnings are leftovers gc removes.
 * {@code damagedChunks}: the index entries that reading every byte ({@code --read-data}) found unreadable (failing
 * authentication or their id, or cut off by a truncated pack), which {@code Repository#forgetDamagedChunks} can forget.
 */
public record CheckReport(int points, int packs, int indexedChunks, long bytesVerified, List<String> errors,
                          List<String> warnings, List<IndexEntry> damagedChunks) {
  public boolean ok() {
    return errors.isEmpty();
  }
}
