package dev.vaultgate.vault.maintenance;

import java.util.List;

/** What a check found: errors mean a recovery point cannot be restored as stored; warnings are leftovers gc removes. */
public record CheckReport(int points, int packs, int indexedChunks, long bytesVerified, List<String> errors,
                          List<String> warnings) {
  public boolean ok() {
    return errors.isEmpty();
  }
}
