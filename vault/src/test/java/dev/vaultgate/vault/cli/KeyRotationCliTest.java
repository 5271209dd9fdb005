package dev.vaultgate.vault.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vault rekey} and {@code vault keys} as a user runs them, on a directory vault with a master key file. */
class KeyRotationCliTest {
  @TempDir
  Path tmp;

  private static CliRun ok(String... args) {
    CliRun r = CliRun.of(args);
    assertEquals(0, r.exit(), r.toString());
    return r;
  }

  @Test
  void rekeyAddsAGenerationThatKeysListsAndOldAndNewPointsRestore() throws IOException {
    String vault = Files.createDirectories(tmp.resolve("vault")).toUri().toString();
    String key = tmp.resolve("master.key").toString();
    byte[] image = new byte[20 * 65536];
    new Random(1).nextBytes(image);
    Path source = Files.write(tmp.resolve("disk.img"), image);
    ok("vault", "init", "--vault", vault, "--master-key", key);
    String p0 = new JsonObject(ok("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--json")
        .lastLine()).getString("recoveryPointId");

    CliRun rekey = ok("vault", "rekey", "--vault", vault, "--master-key", key, "--json");
    JsonObject made = new JsonObject(rekey.lastLine());
    String id = made.getString("id");
    assertTrue(id.matches("[0-9a-f]{32}"), made.encode());
    assertEquals("keys/" + id, made.getString("object"));
    assertEquals("local", made.getString("scheme"));
    assertTrue(Files.exists(tmp.resolve("vault/keys/" + id)));
    CliRun text = ok("vault", "rekey", "--vault", vault, "--master-key", key);
    assertTrue(text.out().startsWith("added data-key generation "), text.out());

    JsonObject listed = new JsonObject(ok("vault", "keys", "--vault", vault, "--master-key", key, "--json").lastLine());
    JsonArray generations = listed.getJsonArray("generations");
    assertEquals(3, generations.size(), listed.encode());
    assertNull(generations.getJsonObject(0).getString("id"));
    assertEquals("config", generations.getJsonObject(0).getString("object"));
    assertEquals(id, generations.getJsonObject(1).getString("id"));
    assertEquals(listed.getString("current"), generations.getJsonObject(2).getString("id"));
    assertFalse(id.equals(listed.getString("current")));
    CliRun table = ok("vault", "keys", "--vault", vault, "--master-key", key);
    assertTrue(table.out().contains("0 (config)") && table.out().contains(id) && table.out().contains("(current)"), table.out());

    image[5] ^= 1;
    Files.write(source, image);
    String p1 = new JsonObject(ok("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--json")
        .lastLine()).getString("recoveryPointId");
    for (String point : new String[] {p0, p1}) {
      Path target = tmp.resolve("out-" + point);
      ok("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target", target.toString());
    }
    byte[] first = Files.readAllBytes(tmp.resolve("out-" + p0));
    first[5] ^= 1;
    assertEquals(-1L, java.util.Arrays.mismatch(image, first), "the first point is the image before its change");
    assertEquals(-1L, Files.mismatch(source, tmp.resolve("out-" + p1)));
    CliRun check = ok("vault", "check", "--vault", vault, "--master-key", key, "--read-data", "--json");
    assertTrue(new JsonObject(check.lastLine()).getBoolean("ok"), check.toString());
  }

  @Test
  void rekeyWithAKmsKeyButNoKmsIsAOneLineError() throws IOException {
    String vault = Files.createDirectories(tmp.resolve("vault")).toUri().toString();
    String key = tmp.resolve("master.key").toString();
    ok("vault", "init", "--vault", vault, "--master-key", key);
    CliRun r = CliRun.of("vault", "rekey", "--vault", vault, "--master-key", key, "--kms-key", "alias/x");
    assertEquals(1, r.exit(), r.toString());
    String err = r.err().strip();
    assertFalse(err.contains("\n"), err);
    assertTrue(err.contains("give --kms-endpoint"), err);
    assertFalse(Files.exists(tmp.resolve("vault/keys")), "nothing was written");
  }
}
