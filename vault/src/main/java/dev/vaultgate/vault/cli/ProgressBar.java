package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.backup.Progress;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** A one-line progress bar on stderr, drawn only when stderr is a terminal and at most five times a second. */
final class ProgressBar implements Progress {
  private final PrintStream err;
  private final String label;
  private final long startNanos = System.nanoTime();
  private long lastDraw;
  private boolean drawn;

  private ProgressBar(PrintStream err, String label) {
    this.err = err;
    this.label = label;
  }

  static Progress forStderr(String label) {
    return stderrIsTerminal() ? new ProgressBar(System.err, label) : Progress.NONE;
  }

  private static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void update(long done, long total) {
    long now = System.nanoTime();
    if (now - lastDraw < 200_000_000L && done < total) {
      return;
    }
    lastDraw = now;
    int width = 30;
    double frac = total <= 0 ? 1 : Math.min(1, (double) done / total);
    int filled = (int) (frac * width);
    double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
    err.printf("\r%s [%s%s] %3d%% %s/%s %s/s ", label, "#".repeat(filled), ".".repeat(width - filled), (int) (frac * 100),
        Units.bytes(done), Units.bytes(total), Units.bytes((long) (done / seconds)));
    drawn = true;
    if (done >= total) {
      finish();
    }
  }

  void finish() {
    if (drawn) {
      err.println();
      drawn = false;
    }
  }
}
