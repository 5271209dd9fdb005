package dev.vaultgate.vault.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scripts/lib/jit-directives.json} and {@code scripts/lib/jit-commands}, which {@code scripts/vaultgate} hands the
 * JVM with its output silenced: a file the JVM cannot parse would stop every command with no reason given, a package
 * renamed away from its pattern would silently lose the C2 compiler on the data path, and a method pattern that names
 * nothing would silently do nothing.
 */
class JitDirectivesTest {
  private static final Path DIRECTIVES = Path.of("..", "scripts", "lib", "jit-directives.json");
  private static final Path COMMANDS = Path.of("..", "scripts", "lib", "jit-commands");

  @Test
  void theJvmParsesTheDirectivesAndTheLauncherPassesThem() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-XX:+UnlockDiagnosticVMOptions",
        "-XX:CompilerDirectivesFile=" + DIRECTIVES.toAbsolutePath(), "-version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertTrue(out.contains("4 compiler directives added"), out);
    String launcher = Files.readString(Path.of("..", "scripts", "vaultgate"));
    assertTrue(launcher.contains("-XX:CompilerDirectivesFile=$root/scripts/lib/jit-directives.json"), "scripts/vaultgate passes it");
  }

  @Test
  void everyPackageOfOursThatTheDirectivesNameExists() throws IOException {
    Matcher m = Pattern.compile("\"[-+]?dev/vaultgate/vault/([a-z]+)/\\*\\.\\*\"").matcher(Files.readString(DIRECTIVES));
    List<String> packages = new ArrayList<>();
    while (m.find()) {
      packages.add(m.group(1));
    }
    assertFalse(packages.isEmpty());
    for (String name : packages) {
      assertTrue(Files.isDirectory(Path.of("src", "main", "java", "dev", "vaultgate", "vault", name)), "package " + name);
    }
  }

  @Test
  void everyMethodTheDirectivesNameExists() throws Exception {
    Matcher m = Pattern.compile("\"[-+]?((?:[a-z]+/)+)([A-Z]\\w*)\\.(\\w+|\\*)\"").matcher(Files.readString(DIRECTIVES));
    String javap = launcherJdk().resolve("bin/javap").toString();
    int named = 0;
    while (m.find()) {
      String className = m.group(1).replace('/', '.') + m.group(2);
      String method = m.group(3);
      if (className.startsWith("dev.vaultgate.")) {
        Class<?> c = Class.forName(className);
        assertTrue(method.equals("*") || Arrays.stream(c.getDeclaredMethods()).anyMatch(x -> x.getName().equals(method)),
            className + "." + method + " exists");
      } else {
        String methods = run(javap, "-p", "--module", "java.base", className);
        assertTrue(methods.contains("class " + className) && (method.equals("*") || methods.contains(" " + method + "(")),
            className + "." + method + " exists: " + methods);
      }
      named++;
    }
    assertTrue(named >= 6, "the directives name classes and methods: " + named);
  }

  @Test
  void theJvmParsesTheCompileCommandsQuietlyAndTheLauncherPassesThem() throws Exception {
    String out = run(launcherJdk().resolve("bin/java").toString(), "-XX:CompileCommandFile=" + COMMANDS.toAbsolutePath(),
        "-version");
    assertFalse(out.contains("CompileCommand"), "nothing printed about the commands: " + out);
    String launcher = Files.readString(Path.of("..", "scripts", "vaultgate"));
    assertTrue(launcher.contains("-XX:CompileCommandFile=$root/scripts/lib/jit-commands"), "scripts/vaultgate passes it");
  }

  @Test
  void everyMethodTheCompileCommandsNameExistsInTheJdkTheLauncherRuns() throws Exception {
    Matcher m = Pattern.compile("(?m)^CompileThresholdScaling,([\\w.$]+)::(\\w+),").matcher(Files.readString(COMMANDS));
    String javap = launcherJdk().resolve("bin/javap").toString();
    int named = 0;
    while (m.find()) {
      String methods = run(javap, "-p", "--module", "java.base", m.group(1));
      assertTrue(methods.contains(" " + m.group(2) + "("), m.group(1) + "::" + m.group(2) + " exists: " + methods);
      named++;
    }
    assertTrue(named >= 2, "the commands name methods: " + named);
  }

  /** The JDK scripts/vaultgate gives the commands to: the newest of 25 or later under /usr/lib/jvm (none: not used). */
  private static Path launcherJdk() throws IOException {
    Path best = null;
    int bestFeature = 24;
    try (var homes = Files.list(Path.of("/usr/lib/jvm"))) {
      for (Path home : homes.toList()) {
        Path release = home.resolve("release");
        Matcher v = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)").matcher(Files.isRegularFile(release) ? Files.readString(release) : "");
        if (v.find() && Integer.parseInt(v.group(1)) > bestFeature && Files.isExecutable(home.resolve("bin/java"))) {
          bestFeature = Integer.parseInt(v.group(1));
          best = home;
        }
      }
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(best != null, "no JDK 25+ under /usr/lib/jvm: the launcher passes no compile commands");
    return best;
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    return out;
  }
}
