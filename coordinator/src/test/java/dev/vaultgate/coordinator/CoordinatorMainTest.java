package dev.vaultgate.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line: --help says what each flag does; a bad flag is one line on stderr. */
class CoordinatorMainTest {

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new CoordinatorMain());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    cli.setParameterExceptionHandler((ex, a) -> {
      ex.getCommandLine().getErr().println("coordinator: " + ex.getMessage() + " (see --help)");
      return 2;
    });
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void helpListsEveryFlagWithItsDefault() {
    Run r = run("--help");
    assertEquals(0, r.code());
    for (String flag : new String[] {"--port", "--data", "--database", "--region", "--account", "--host", "--instances",
        "--vault-master-key", "--vault-gc-interval"}) {
      assertTrue(r.out().contains(flag), flag + " in\n" + r.out());
    }
    assertTrue(r.out().contains("Default: 8080"), r.out());
    assertTrue(r.out().contains("us-east-1"), r.out());
  }

  @Test
  void unknownFlagIsOneLineError() {
    Run r = run("--prot", "9000");
    assertEquals(2, r.code());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().startsWith("coordinator: Unknown option"), r.err());
  }

  @Test
  void nonNumericPortIsOneLineError() {
    Run r = run("--port", "eighty");
    assertEquals(2, r.code());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }

  @Test
  void configRejectsBadValuesNamingTheFlag() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        new CoordinatorConfig("127.0.0.1", 8080, Path.of("d"), null, "us-east-1", "123", 1, 1 << 20));
    assertTrue(e.getMessage().startsWith("--account 123"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () ->
        new CoordinatorConfig("127.0.0.1", 70000, Path.of("d"), null, "us-east-1", "000000000000", 1, 1 << 20));
    assertThrows(IllegalArgumentException.class, () ->
        new CoordinatorConfig("127.0.0.1", 8080, Path.of("d"), "mysql://x", "us-east-1", "000000000000", 1, 1 << 20));
    assertThrows(IllegalArgumentException.class, () ->
        new CoordinatorConfig("127.0.0.1", 8080, Path.of("d"), null, "moon", "000000000000", 1, 1 << 20));
  }

  @Test
  void vaultGcOptionsAreCheckedAtStartNamingTheFlag() throws Exception {
    Path missing = Path.of("target", "no-such-dir", "master.key");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CoordinatorMain.vaultGc(missing, 60));
    assertTrue(e.getMessage().startsWith("--vault-master-key " + missing), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> CoordinatorMain.vaultGc(null, 0));
    assertTrue(e.getMessage().startsWith("--vault-gc-interval 0"), e.getMessage());
    assertEquals(2, run("--vault-master-key", missing.toString(), "--data", "target/no-start").code(),
        "a key that cannot be read stops the start");
    assertFalse(CoordinatorMain.vaultGc(null, 60).collects(), "without a key: no gc");
    Path key = java.nio.file.Files.createTempFile("vault-master", ".key");
    try {
      dev.vaultgate.coordinator.vaultgc.VaultGcSettings gc = CoordinatorMain.vaultGc(key, 5);
      assertTrue(gc.collects());
      assertEquals(java.time.Duration.ofMinutes(5), gc.interval());
    } finally {
      java.nio.file.Files.delete(key);
    }
  }
}
