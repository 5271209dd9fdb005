package dev.vaultgate.appliance.volumes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a system command (lsblk, lvs, lvcreate) and returns its stdout; blocking, so callers use a worker. */
final class Commands {
  private Commands() {
  }

  static String run(List<String> command, long timeoutSeconds) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("LVM_SUPPRESS_FD_WARNINGS", "1"); // the JVM's inherited descriptors are not LVM's business
    pb.environment().put("LC_ALL", "C");
    Process p = pb.start();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    String out = readAll(p.getInputStream());
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(command.get(0) + " did not finish in " + timeoutSeconds + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException(command.get(0) + " was interrupted");
    }
    if (p.exitValue() != 0) {
      String reason = reason(err.join());
      throw new IOException(command.get(0) + " failed (exit " + p.exitValue() + ")" + (reason.isEmpty() ? "" : ": " + reason));
    }
    return out;
  }

  /**
   * The line of a failed command's stderr that says why. Not simply the last: a refused lvcreate ends with "Run
   * `lvcreate --help' for more information." after its reason (seen with real LVM on a kernel without the snapshot
   * target), and LVM prefixes warnings and descriptor-leak notices that say nothing about the failure.
   */
  static String reason(String stderr) {
    List<String> lines = stderr.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    for (int i = lines.size() - 1; i >= 0; i--) {
      String line = lines.get(i);
      boolean noise = line.startsWith("WARNING:") || (line.startsWith("Run `") && line.endsWith("for more information."))
          || (line.startsWith("File descriptor ") && line.contains(" leaked on "));
      if (!noise) {
        return line;
      }
    }
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }

  private static String readAll(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
