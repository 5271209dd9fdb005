package dev.vaultgate.vault.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One in-process run of the vaultgate command line, with what it printed. */
record CliRun(int exit, String out, String err) {

  static CliRun of(String... args) {
    return withInput("", args);
  }

  /** A run that reads {@code stdin} from standard input. */
  static synchronized CliRun withInput(String stdin, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    InputStream oldIn = System.in;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
      int exit = VaultgateCli.run(args);
      return new CliRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
      System.setIn(oldIn);
    }
  }

  /** The last line of stdout, where --json puts its object. */
  String lastLine() {
    String[] lines = out.strip().split("\n");
    return lines[lines.length - 1];
  }

  @Override
  public String toString() {
    return "exit " + exit + "\nstdout: " + out + "\nstderr: " + err;
  }
}
