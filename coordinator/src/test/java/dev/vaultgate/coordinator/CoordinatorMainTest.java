package dev.vaultgate.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    for (String flag : new String[] {"--port", "--data", "--database", "--region", "--account", "--host", "--instances"}) {
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
}
