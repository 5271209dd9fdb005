package dev.vaultgate.vault.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * The training run that {@code scripts/vaultgate} records its AOT cache (JDK 25+) or class-data-sharing archive from:
 * {@code vault init}, a full backup, an incremental backup after a change and a restore of the given image, in one
 * JVM. A cache records one process, so this is what puts the incremental's (blocks found unchanged by fingerprint) and
 * the restore's classes and method profiles in it beside the full backup's. Not a user command.
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
    Path disk = dir.resolve("disk.img");
    String[] backup = {"backup", "--vault", vault, "--master-key", key, "--source", disk.toString(), "--json"};
    if (rc == 0) {
      rc = VaultgateCli.run(backup);
    }
    if (rc == 0) {
      changeOneBlock(disk);
      rc = VaultgateCli.run(backup);
    }
    if (rc == 0) {
      rc = VaultgateCli.run("restore", "--vault", vault, "--master-key", key, "--recovery-point", "latest",
          "--target", dir.resolve("restored.img").toString(), "--json");
    }
    System.exit(rc);
  }

  /** Overwrites the image's second 64 KiB with new bytes, so the next backup finds one changed block among the rest. */
  private static void changeOneBlock(Path disk) throws IOException {
    byte[] changed = new byte[65536];
    new Random().nextBytes(changed);
    try (FileChannel channel = FileChannel.open(disk, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(changed), changed.length);
    }
  }
}
