package dev.vaultgate.vault.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scripts/lib/jit-directives.json}, which {@code scripts/vaultgate} hands the JVM with its output silenced: a
 * file the JVM cannot parse would stop every command with no reason given, and a package renamed away from its
 * pattern would silently lose the C2 compiler on the data path.
 */
class JitDirectivesTest {
  private static final Path DIRECTIVES = Path.of("..", "scripts", "lib", "jit-directives.json");

  @Test
  void theJvmParsesTheDirectivesAndTheLauncherPassesThem() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-XX:+UnlockDiagnosticVMOptions",
        "-XX:CompilerDirectivesFile=" + DIRECTIVES.toAbsolutePath(), "-version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertTrue(out.contains("2 compiler directives added"), out);
    String launcher = Files.readString(Path.of("..", "scripts", "vaultgate"));
    assertTrue(launcher.contains("-XX:CompilerDirectivesFile=$root/scripts/lib/jit-directives.json"), "scripts/vaultgate passes it");
  }

  @Test
  void everyPackageOfOursThatTheDirectivesNameExists() throws IOException {
    Matcher m = Pattern.compile("\"dev/vaultgate/vault/([a-z]+)/\\*\\.\\*\"").matcher(Files.readString(DIRECTIVES));
    List<String> packages = new ArrayList<>();
    while (m.find()) {
      packages.add(m.group(1));
    }
    assertFalse(packages.isEmpty());
    for (String name : packages) {
      assertTrue(Files.isDirectory(Path.of("src", "main", "java", "dev", "vaultgate", "vault", name)), "package " + name);
    }
  }
}
