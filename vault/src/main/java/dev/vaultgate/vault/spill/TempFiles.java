package dev.vaultgate.vault.spill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Temporary files of this process for objects too large to hold in memory (a manifest of a large disk on its way
 * to or from a vault): in the spill directory ({@code VAULTGATE_CACHE_DIR} or {@code java.io.tmpdir}), deleted by
 * {@link #delete} or at the latest at exit. Blocking: call from a worker.
 */
public final class TempFiles {
  private TempFiles() {
  }

  /** A new empty file whose name starts with {@code prefix}. */
  public static Path create(String prefix) throws IOException {
    Path file = Files.createTempFile(SpillDirectory.processDirectory(), prefix + "-", ".tmp");
    SpillDirectory.track(file);
    return file;
  }

  /** Deletes {@code file} (gone already is fine); a failure is left to the clean-up at exit. */
  public static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
      SpillDirectory.forget(file);
    } catch (IOException e) {
      // still tracked: deleted at exit
    }
  }
}
