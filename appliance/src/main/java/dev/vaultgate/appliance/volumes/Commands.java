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
      String e = err.join().strip();
      throw new IOException(command.get(0) + " failed (exit " + p.exitValue() + ")" + (e.isEmpty() ? "" : ": " + e.lines().reduce((a, b) -> b).orElse(e)));
    }
    return out;
  }

  private static String readAll(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
