package dev.vaultgate.vault.cli;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vaultgate batch}: command lines from stdin run in one JVM, each as it would run on its own. */
class BatchCommandTest {
  @TempDir
  Path tmp;
  private String vault;
  private String key;
  private Path source;

  @BeforeEach
  void setUp() throws IOException {
    vault = Files.createDirectories(tmp.resolve("my vault")).toUri().toString();
    key = tmp.resolve("master.key").toString();
    byte[] image = new byte[5 * 65536 + 17];
    new Random(3).nextBytes(image);
    source = Files.write(tmp.resolve("disk image.img"), image);
  }

  @Test
  void splitKeepsQuotedSpacesTogetherAndRefusesAnUnclosedQuote() {
    assertEquals(List.of("backup", "--source", "/a b/c.img", "--json"), BatchCommand.split("  backup --source '/a b/c.img'  --json "));
    assertEquals(List.of("x", "it's", ""), BatchCommand.split("x \"it's\" ''"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BatchCommand.split("backup --source 'a"));
    assertTrue(e.getMessage().contains("unclosed"), e.getMessage());
  }

  @Test
  void eachLineRunsAsOnItsOwnAndTheSecondBackupContinuesFromTheFirst() {
    String backup = "backup --vault '" + vault + "' --master-key '" + key + "' --source '" + source + "' --json";
    CliRun run = CliRun.withInput(String.join("\n", "# a comment, then an empty line", "",
        "vault init --vault '" + vault + "' --master-key '" + key + "'", backup, backup) + "\n", "batch");

    assertEquals(0, run.exit(), run.toString());
    for (int line = 3; line <= 5; line++) {
      assertTrue(run.err().contains("vaultgate batch: line " + line + ": exit 0 in "), run.toString());
    }
    String[] out = run.out().strip().split("\n");
    JsonObject first = new JsonObject(out[out.length - 2]);
    JsonObject second = new JsonObject(out[out.length - 1]);
    assertEquals(first.getString("recoveryPointId"), second.getString("parentId"), run.toString());
    assertEquals(0L, second.getLong("blocksChanged"), "nothing changed between the two backups");
  }

  @Test
  void theFirstFailingCommandStopsTheBatchWithItsExitCodeUnlessKeepGoing() {
    String missing = "backup --vault '" + vault + "' --master-key '" + key + "' --source /no/such/disk.img";
    String points = "points --vault '" + vault + "' --master-key '" + key + "'";
    String lines = "vault init --vault '" + vault + "' --master-key '" + key + "'\n" + missing + "\n" + points + "\n";

    CliRun stopped = CliRun.withInput(lines, "batch");
    assertEquals(1, stopped.exit(), stopped.toString());
    assertTrue(stopped.err().contains("line 2: exit 1 in "), stopped.toString());
    assertTrue(stopped.err().contains("/no/such/disk.img"), "the command's own error line: " + stopped);
    assertFalse(stopped.err().contains("line 3:"), "nothing runs after the failure: " + stopped);

    CliRun kept = CliRun.withInput(missing + "\n" + points + "\n", "batch", "--keep-going");
    assertEquals(1, kept.exit(), kept.toString());
    assertTrue(kept.err().contains("line 2: exit 0 in "), kept.toString());
  }

  @Test
  void aBatchInsideABatchAndAnUnclosedQuoteAreBadUsage() {
    CliRun nested = CliRun.withInput("batch\n", "batch");
    assertEquals(2, nested.exit(), nested.toString());
    assertTrue(nested.err().contains("line 1: a batch cannot run another batch"), nested.toString());

    CliRun quote = CliRun.withInput("points --vault 'file:///x\n", "batch");
    assertEquals(2, quote.exit(), quote.toString());
    assertTrue(quote.err().contains("line 1: unclosed ' quote"), quote.toString());
  }
}
