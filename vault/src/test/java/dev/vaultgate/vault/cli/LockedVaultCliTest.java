package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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

/** The command line on a locked vault in Ceph RGW: init, backup with retention, forget refused, legal hold, check, gc. */
@RequiresRgw
class LockedVaultCliTest {
  @TempDir
  Path tmp;
  private String key;
  private Path source;

  @BeforeEach
  void setUp() throws IOException {
    key = tmp.resolve("master.key").toString();
    byte[] image = new byte[3 << 20];
    new Random(7).nextBytes(image);
    source = Files.write(tmp.resolve("disk.img"), image);
    // The CLI takes S3 credentials from the SDK's default chain, which reads these properties first.
    System.setProperty("aws.accessKeyId", TestRgw.accessKey());
    System.setProperty("aws.secretAccessKey", TestRgw.secretKey());
  }

  @AfterEach
  void clearCredentials() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }

  private static void assertOneLineError(CliRun r, String expected) {
    assertEquals(1, r.exit(), r.toString());
    String err = r.err().strip();
    assertFalse(err.contains("\n"), "one line only: " + err);
    assertTrue(err.contains(expected), "'" + err + "' should say '" + expected + "'");
  }

  @Test
  void lockedInitInABucketWithoutObjectLockIsRefusedWithTheReason() {
    String vault = TestRgw.vaultUrl(TestRgw.newBucket(false));
    assertOneLineError(CliRun.of("vault", "init", "--vault", vault, "--master-key", key, "--lock-mode", "COMPLIANCE"),
        "the bucket does not have Object Lock enabled");
  }

  @Test
  void complianceVaultFromTheCommandLine() {
    String vault = TestRgw.vaultUrl(TestRgw.newBucket(true));
    CliRun init = CliRun.of("vault", "init", "--vault", vault, "--master-key", key, "--lock-mode", "COMPLIANCE",
        "--min-retention", "1h", "--max-retention", "2h");
    assertEquals(0, init.exit(), init.toString());
    assertTrue(init.out().contains("COMPLIANCE lock, retention 1 hour to 2 hours"), init.out());

    assertOneLineError(CliRun.of("backup", "--vault", vault, "--master-key", key, "--source", source.toString(),
        "--retention", "3h"), "longer than the vault lock's maximum retention of 2 hours");
    CliRun backup = CliRun.of("backup", "--vault", vault, "--master-key", key, "--source", source.toString(),
        "--retention", "90m", "--json");
    assertEquals(0, backup.exit(), backup.toString());
    String point = new JsonObject(backup.lastLine()).getString("recoveryPointId");

    assertOneLineError(CliRun.of("forget", "--vault", vault, "--master-key", key, "--recovery-point", point),
        "protected by Object Lock");
    CliRun hold = CliRun.of("legal-hold", "--vault", vault, "--master-key", key, "--recovery-point", point, "--json");
    assertEquals(0, hold.exit(), hold.toString());
    assertTrue(new JsonObject(hold.lastLine()).getInteger("objects") >= 4, hold.out());
    CliRun release = CliRun.of("legal-hold", "--vault", vault, "--master-key", key, "--recovery-point", point, "--release");
    assertEquals(0, release.exit(), release.toString());

    CliRun check = CliRun.of("vault", "check", "--vault", vault, "--master-key", key);
    assertEquals(0, check.exit(), check.toString());
    CliRun gc = CliRun.of("vault", "gc", "--vault", vault, "--master-key", key, "--json");
    assertEquals(0, gc.exit(), gc.toString());
    assertEquals(0, new JsonObject(gc.lastLine()).getInteger("packsDeleted"));
  }

  @Test
  void coldCommandMovesAPointsPacksToTheColdClassAndTheyStillRestore() throws IOException {
    String vault = TestRgw.vaultUrl(TestRgw.newBucket(true));
    assertEquals(0, CliRun.of("vault", "init", "--vault", vault, "--master-key", key, "--lock-mode", "GOVERNANCE",
        "--min-retention", "1h", "--max-retention", "2h").exit());
    CliRun backup = CliRun.of("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--json");
    assertEquals(0, backup.exit(), backup.toString());
    String point = new JsonObject(backup.lastLine()).getString("recoveryPointId");

    assertOneLineError(CliRun.of("vault", "cold", "--vault", vault, "--master-key", key, "--recovery-point", point,
        "--storage-class", "NO_SUCH_CLASS"), "NO_SUCH_CLASS");
    CliRun cold = CliRun.of("vault", "cold", "--vault", vault, "--master-key", key, "--recovery-point", point,
        "--storage-class", "COLD", "--json");
    assertEquals(0, cold.exit(), cold.toString());
    assertTrue(new JsonObject(cold.lastLine()).getInteger("packsMoved") > 0, cold.out());
    CliRun again = CliRun.of("vault", "cold", "--vault", vault, "--master-key", key, "--older-than", "0s",
        "--storage-class", "COLD", "--json");
    assertEquals(0, new JsonObject(again.lastLine()).getInteger("packsMoved"), again.out());

    Path target = tmp.resolve("restored.img");
    CliRun restore = CliRun.of("restore", "--vault", vault, "--master-key", key, "--recovery-point", point,
        "--target", target.toString());
    assertEquals(0, restore.exit(), restore.toString());
    assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(target));
  }
}
