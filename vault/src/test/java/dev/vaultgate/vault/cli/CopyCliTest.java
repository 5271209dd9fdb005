package dev.vaultgate.vault.cli;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vaultgate copy} between two vaults with their own master keys, as a user runs it. */
class CopyCliTest {
  @TempDir
  Path tmp;

  @Test
  void copyThenRestoreFromTheDestinationWithItsOwnKey() throws IOException {
    String from = Files.createDirectories(tmp.resolve("a")).toUri().toString();
    String to = Files.createDirectories(tmp.resolve("b")).toUri().toString();
    String keyA = tmp.resolve("a.key").toString();
    String keyB = tmp.resolve("b.key").toString();
    assertEquals(0, CliRun.of("vault", "init", "--vault", from, "--master-key", keyA).exit());
    assertEquals(0, CliRun.of("vault", "init", "--vault", to, "--master-key", keyB).exit());
    byte[] image = new byte[30 * 64 * 1024 + 5];
    new Random(9).nextBytes(image);
    Path source = Files.write(tmp.resolve("disk.img"), image);
    CliRun b = CliRun.of("backup", "--vault", from, "--master-key", keyA, "--source", source.toString(), "--json");
    assertEquals(0, b.exit(), b.toString());
    String point = new JsonObject(b.lastLine()).getString("recoveryPointId");

    CliRun c = CliRun.of("copy", "--from", from, "--to", to, "--point", point, "--master-key", keyA, "--to-master-key", keyB, "--json");
    assertEquals(0, c.exit(), c.toString());
    JsonObject copied = new JsonObject(c.lastLine());
    assertEquals(point, copied.getString("destinationPointId"));
    assertEquals(31, copied.getLong("chunksCopied"));

    CliRun again = CliRun.of("copy", "--from", from, "--to", to, "--point", point, "--master-key", keyA, "--to-master-key", keyB);
    assertEquals(0, again.exit(), again.toString());
    assertTrue(again.out().contains("already"), again.out());

    Path target = tmp.resolve("out.img");
    CliRun r = CliRun.of("restore", "--vault", to, "--master-key", keyB, "--recovery-point", point, "--target", target.toString());
    assertEquals(0, r.exit(), r.toString());
    assertArrayEquals(image, Files.readAllBytes(target));
  }

  @Test
  void copyOfAMissingPointIsAOneLineError() throws IOException {
    String from = Files.createDirectories(tmp.resolve("a")).toUri().toString();
    String to = Files.createDirectories(tmp.resolve("b")).toUri().toString();
    String key = tmp.resolve("k.key").toString();
    CliRun.of("vault", "init", "--vault", from, "--master-key", key);
    CliRun.of("vault", "init", "--vault", to, "--master-key", key);
    CliRun c = CliRun.of("copy", "--from", from, "--to", to, "--point", "0123456789abcdef0123456789abcdef", "--master-key", key);
    assertEquals(1, c.exit(), c.toString());
    String err = c.err().strip();
    assertFalse(err.contains("\n"), err);
    assertTrue(err.startsWith("vaultgate copy: ") && err.contains("no recovery point 0123456789abcdef0123456789abcdef"), err);
  }
}
