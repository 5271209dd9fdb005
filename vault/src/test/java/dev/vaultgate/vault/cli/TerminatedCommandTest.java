package dev.vaultgate.vault.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line in a JVM of its own: one told to stop (SIGTERM, as a service manager or Ctrl-C does) lets go of its
 * vault lock on the way out, so a gc on another host need not wait for the lock to go stale; a disk of many blocks backs
 * up and restores in a small heap; one whose heap is too small for it says so in one line.
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

  /** The CLI in a JVM of its own with a heap of {@code heapMiB}, its stdout and stderr in files named after {@code name}. */
  private Process cli(int heapMiB, String name, String... args) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx" + heapMiB + "m",
        "-cp", System.getProperty("java.class.path"), VaultgateCli.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectOutput(tmp.resolve(name + ".out").toFile()).redirectError(tmp.resolve(name + ".err").toFile()).start();
  }

  /** Runs the CLI to its end (two minutes at most) and answers its exit code. */
  private int run(int heapMiB, String name, String... args) throws Exception {
    Process p = cli(heapMiB, name, args);
    try {
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), name + " ended");
      return p.exitValue();
    } finally {
      p.destroyForcibly();
    }
  }

  private String err(String name) throws Exception {
    return Files.readString(tmp.resolve(name + ".err"));
  }

  /**
   * A disk of 262,144 non-zero 4 KiB blocks (1 GiB; 256 distinct blocks repeated, so little to store): its block
   * list is a 15 MB manifest, which was sealed and opened whole and took three copies of itself on the heap. In a
   * 48 MiB heap it is written and read a frame at a time, and the block tables spill to disk past their share of the
   * heap: the full backup, an incremental one (which reads the first point's list) and the restore all succeed, and
   * the restored disk is the disk.
   */
  @Test
  void aPointOfMoreBlocksThanASmallHeapHoldsWholeBacksUpAgainAndRestoresByteForByte() throws Exception {
    Path vault = tmp.resolve("vault");
    String url = vault.toUri().toString();
    Path key = tmp.resolve("master.key");
    CliRun init = CliRun.of("vault", "init", "--vault", url, "--master-key", key.toString(), "--block-size", "4096");
    assertEquals(0, init.exit(), init.toString());
    Path disk = tmp.resolve("many-blocks.img");
    byte[] cycle = new byte[256 * 4096];
    new java.util.Random(11).nextBytes(cycle);
    try (java.io.OutputStream out = Files.newOutputStream(disk)) {
      for (int i = 0; i < 1024; i++) {
        out.write(cycle);
      }
    }
    String[] backup = {"backup", "--vault", url, "--master-key", key.toString(), "--source", disk.toString(), "--json"};
    assertEquals(0, run(48, "full", backup), err("full"));
    assertEquals(0, run(48, "incremental", backup), err("incremental"));
    String incremental = Files.readString(tmp.resolve("incremental.out"));
    assertTrue(incremental.contains("\"blocksChanged\":0"), incremental);
    List<Path> points;
    try (Stream<Path> s = Files.list(vault.resolve("points"))) {
      points = s.sorted().toList();
    }
    assertEquals(2, points.size());
    assertTrue(Files.size(points.get(0)) > 12_000_000, "a manifest of " + Files.size(points.get(0)) + " bytes");
    Path restored = tmp.resolve("restored.img");
    assertEquals(0, run(48, "restore", "restore", "--vault", url, "--master-key", key.toString(),
        "--recovery-point", points.get(1).getFileName().toString(), "--target", restored.toString()), err("restore"));
    assertEquals(-1, Files.mismatch(disk, restored), "the restored disk is the disk");
  }

  /** A heap smaller than a backup's buffers: the command says so in one line, and stores no point. */
  @Test
  void aBackupThatOutgrowsTheHeapSaysSoInOneLine() throws Exception {
    Path vault = tmp.resolve("vault");
    Path key = tmp.resolve("master.key");
    CliRun init = CliRun.of("vault", "init", "--vault", vault.toUri().toString(), "--master-key", key.toString(),
        "--block-size", "4096");
    assertEquals(0, init.exit(), init.toString());
    Path disk = tmp.resolve("many-blocks.img");
    byte[] piece = new byte[1 << 20];
    java.util.Arrays.fill(piece, (byte) 7);
    try (java.io.OutputStream out = Files.newOutputStream(disk)) {
      for (int i = 0; i < 1024; i++) {
        out.write(piece);
      }
    }
    // the heap may run out on the event loop, in the job's driver: that used to fail nothing, and the command waited
    int exit = run(16, "backup", "backup", "--vault", vault.toUri().toString(), "--master-key", key.toString(),
        "--source", disk.toString());
    String err = err("backup");
    assertEquals(1, exit, err);
    assertTrue(err.startsWith("vaultgate backup: out of Java heap") && err.strip().lines().count() == 1, err);
    assertEquals(0, count(vault.resolve("points")), "no point was stored");
  }

  /** A handler on the event loop fails no future when it throws: running out of heap there ends the command. */
  @Test
  void aCommandWhoseEventLoopRunsOutOfHeapEndsInOneLineInsteadOfWaiting() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        OutOfHeapOnEventLoop.class.getName()).redirectError(tmp.resolve("oom.err").toFile()).start();
    try {
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the command ended");
      String err = err("oom");
      assertEquals(1, p.exitValue(), err);
      assertEquals("vaultgate: out of Java heap (Java heap space); give the JVM a larger heap, e.g. VAULTGATE_JAVA_OPTS=-Xmx1g",
          err.strip());
    } finally {
      p.destroyForcibly();
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
