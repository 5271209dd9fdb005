package dev.vaultgate.vault.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line in a JVM of its own: one told to stop (SIGTERM, as a service manager or Ctrl-C does) lets go of its
 * vault lock on the way out, so a gc on another host need not wait for the lock to go stale; one that outgrows its heap
 * says so in one line.
 */
class TerminatedCommandTest {
  @TempDir
  Path tmp;

  private static long count(Path dir) throws Exception {
    if (Files.notExists(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  /**
   * A recovery point's block list is held in memory whole: a disk of many blocks outgrows a small heap. Here 262,144
   * blocks of 4 KiB (a 12 MB list) in a 32 MiB heap; at the launcher's 320 MiB and 64 KiB blocks, that is a disk of
   * roughly 100 GiB or more of data. The command says so in one line, and stores no point.
   */
  @Test
  void aBackupThatOutgrowsTheHeapSaysSoInOneLine() throws Exception {
    Path vault = tmp.resolve("vault");
    Path key = tmp.resolve("master.key");
    CliRun init = CliRun.of("vault", "init", "--vault", vault.toUri().toString(), "--master-key", key.toString(),
        "--block-size", "4096");
    assertEquals(0, init.exit(), init.toString());
    Path disk = tmp.resolve("many-blocks.img");
    byte[] piece = new byte[1 << 20];
    java.util.Arrays.fill(piece, (byte) 7); // every block alike and not zero: one chunk, a list entry per block
    try (java.io.OutputStream out = Files.newOutputStream(disk)) {
      for (int i = 0; i < 1024; i++) {
        out.write(piece);
      }
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process backup = new ProcessBuilder(java.toString(), "-Xmx32m", "-cp", System.getProperty("java.class.path"),
        VaultgateCli.class.getName(), "backup", "--vault", vault.toUri().toString(), "--master-key", key.toString(),
        "--source", disk.toString())
        .redirectOutput(tmp.resolve("backup.out").toFile()).redirectError(tmp.resolve("backup.err").toFile()).start();
    try {
      // here the heap runs out on the event loop, in the job's driver: that used to fail nothing, and the command waited
      assertTrue(backup.waitFor(120, TimeUnit.SECONDS), "the backup ended");
      String err = Files.readString(tmp.resolve("backup.err"));
      assertEquals(1, backup.exitValue(), err);
      assertTrue(err.startsWith("vaultgate backup: out of Java heap") && err.strip().lines().count() == 1, err);
      assertEquals(0, count(vault.resolve("points")), "no point was stored");
    } finally {
      backup.destroyForcibly();
    }
  }

  @Test
  void aBackupToldToStopReleasesItsVaultLock() throws Exception {
    Path vault = tmp.resolve("vault");
    Path key = tmp.resolve("master.key");
    CliRun init = CliRun.of("vault", "init", "--vault", vault.toUri().toString(), "--master-key", key.toString());
    assertEquals(0, init.exit(), init.toString());
    Path disk = tmp.resolve("thin.img");
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(64L << 30); // all holes: read for many seconds, stored as nothing
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process backup = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        VaultgateCli.class.getName(), "backup", "--vault", vault.toUri().toString(), "--master-key", key.toString(),
        "--source", disk.toString())
        .redirectErrorStream(true).redirectOutput(tmp.resolve("backup.log").toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (count(vault.resolve("locks")) == 0 && backup.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(backup.isAlive() && count(vault.resolve("locks")) == 1,
          "the backup runs and holds its lock: " + Files.readString(tmp.resolve("backup.log")));
      backup.destroy(); // SIGTERM
      assertTrue(backup.waitFor(30, TimeUnit.SECONDS), "the backup stopped");
      assertEquals(143, backup.exitValue(), "ended by SIGTERM: " + Files.readString(tmp.resolve("backup.log")));
      assertEquals(0, count(vault.resolve("points")), "it did not finish");
      assertEquals(0, count(vault.resolve("locks")), "its lock went with it");
    } finally {
      backup.destroyForcibly();
    }
  }
}
