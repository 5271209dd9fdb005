package dev.vaultgate.vault.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The training run that {@code scripts/vaultgate} records its AOT cache (JDK 25+) or class-data-sharing archive from:
 * {@code vault init}, a backup and a restore of the given image, in one JVM. A cache records one process, so this is
 * what puts the restore's classes and method profiles in it beside the backup's. Not a user command.
 */
public final class TrainingRun {
  private TrainingRun() {
  }

  /** {@code TrainingRun DIR}: DIR holds {@code disk.img}; the vault, key and restored image are made beside it. */
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: TrainingRun DIR (holding disk.img)");
      System.exit(2);
    }
    Path dir = Path.of(args[0]).toAbsolutePath();
    Path vaultDir = Files.createDirectories(dir.resolve("vault"));
    String vault = "file://" + vaultDir;
    String key = dir.resolve("key").toString();
    int rc = VaultgateCli.run("vault", "init", "--vault", vault, "--master-key", key);
    if (rc == 0) {
      rc = VaultgateCli.run("backup", "--vault", vault, "--master-key", key, "--source", dir.resolve("disk.img").toString(), "--json");
    }
    if (rc == 0) {
      rc = VaultgateCli.run("restore", "--vault", vault, "--master-key", key, "--recovery-point", "latest",
          "--target", dir.resolve("restored.img").toString(), "--json");
    }
    System.exit(rc);
  }
}
