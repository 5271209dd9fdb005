package dev.vaultgate.vault.spill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where spill files go by default: {@code $VAULTGATE_CACHE_DIR} or {@code java.io.tmpdir}, in a directory of
 * this process ({@code vaultgate-<pid>-<random>}) made on first use. Files still there at exit, and the
 * directory, are deleted by a shutdown hook (one hook, not a {@code deleteOnExit} entry per file, which would
 * grow for the life of a long-running process).
 */
final class SpillDirectory {
  static final String ENV = "VAULTGATE_CACHE_DIR";

  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
  private static Path processDirectory;
  private static boolean hooked;

  private SpillDirectory() {
  }

  /** The directory of this process, made on first call. */
  static synchronized Path processDirectory() {
    if (processDirectory == null) {
      String configured = System.getenv(ENV);
      Path base = Paths.get(configured == null || configured.isBlank() ? System.getProperty("java.io.tmpdir") : configured);
      try {
        Files.createDirectories(base);
        Path dir = Files.createTempDirectory(base, "vaultgate-" + ProcessHandle.current().pid() + "-");
        dir.toFile().deleteOnExit(); // runs after the hook has emptied it
        processDirectory = dir;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot make a spill directory in " + base
            + (configured == null ? " (java.io.tmpdir)" : " (" + ENV + ")") + ": " + e.getMessage(), e);
      }
      hook();
    }
    return processDirectory;
  }

  static void track(Path file) {
    LIVE.add(file);
    synchronized (SpillDirectory.class) {
      hook();
    }
  }

  static void forget(Path file) {
    LIVE.remove(file);
  }

  private static void hook() {
    if (!hooked) {
      hooked = true;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        for (Path p : LIVE) {
          try {
            Files.deleteIfExists(p);
          } catch (IOException e) {
            // Best effort at exit.
          }
        }
      }, "vaultgate-spill-cleanup"));
    }
  }
}
