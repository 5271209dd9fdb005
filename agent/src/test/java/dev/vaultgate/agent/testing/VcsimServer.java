package dev.vaultgate.agent.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The project's vCenter simulator ({@code scripts/vcsim}) started for one test class: the script
 * installs Go and govmomi and builds the launcher when they are missing (the first run can take a
 * few minutes), then prints the {@code VCSIM_*} lines this class reads. {@link #close()} stops it
 * (SIGTERM: the script execs the simulator, which removes its datastores).
 */
public final class VcsimServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(15);

  private final Process process;
  private final Map<String, String> env;
  private final Path dir;

  private VcsimServer(Process process, Map<String, String> env, Path dir) {
    this.process = process;
    this.env = env;
    this.dir = dir;
  }

  /** Starts a simulator with the default inventory and 16 MiB disks. */
  public static VcsimServer start() throws IOException {
    return start(16);
  }

  /**
   * Starts a simulator whose inventory VMs have disks of {@code diskMb} MiB; {@code extraArgs} are
   * passed to the script (e.g. {@code --vms 3}).
   */
  public static VcsimServer start(int diskMb, String... extraArgs) throws IOException {
    Path script = findScript();
    Path dir = Path.of("target", "vcsim-" + ProcessHandle.current().pid() + "-" + System.nanoTime()).toAbsolutePath();
    Files.createDirectories(dir);
    List<String> command = new ArrayList<>(List.of(script.toString(), "--dir", dir.toString(), "--disk-mb", String.valueOf(diskMb)));
    command.addAll(List.of(extraArgs));
    Process p = new ProcessBuilder(command).redirectError(dir.resolve("vcsim-stderr.log").toFile()).start();
    return new VcsimServer(p, readReadyLines(p, dir, START_TIMEOUT), dir);
  }

  /** The SDK URL, https://127.0.0.1:port/sdk. */
  public String url() {
    return env.get("VCSIM_URL");
  }

  /** host:port. */
  public String hostPort() {
    return env.get("VCSIM_HOST");
  }

  public String user() {
    return env.get("VCSIM_USER");
  }

  public String password() {
    return env.get("VCSIM_PASSWORD");
  }

  /** The certificate's SHA-256 thumbprint, AB:CD:... */
  public String thumbprintSha256() {
    return env.get("VCSIM_THUMBPRINT_SHA256");
  }

  /** The certificate as a PEM file. */
  public Path certificate() {
    return Path.of(env.get("VCSIM_CERT"));
  }

  public String datacenter() {
    return env.get("VCSIM_DATACENTER");
  }

  public String datastore() {
    return env.get("VCSIM_DATASTORE");
  }

  /** The local directory that holds the datastore's files: {@code <dir>/<vm>/disk1-flat.vmdk}. */
  public Path datastoreDir() {
    return Path.of(env.get("VCSIM_DATASTORE_DIR"));
  }

  /** The local file of a datastore path such as {@code DC0_H0_VM0/disk1-flat.vmdk}. */
  public Path datastoreFile(String path) {
    return datastoreDir().resolve(path);
  }

  /** Every VCSIM_* value the script printed. */
  public Map<String, String> env() {
    return env;
  }

  /** The simulator's stderr log, for messages in failed assertions. */
  public Path log() {
    return dir.resolve("vcsim-stderr.log");
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private static Path findScript() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path script = d.resolve("scripts").resolve("vcsim");
      if (Files.isRegularFile(script) && Files.isExecutable(script)) {
        return script;
      }
    }
    throw new IllegalStateException("scripts/vcsim not found above " + Path.of("").toAbsolutePath());
  }

  /** Reads the script's KEY=VALUE lines up to VCSIM_READY=1; then keeps draining its stdout. */
  private static Map<String, String> readReadyLines(Process p, Path dir, Duration timeout) {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Map<String, String>> ready =
        CompletableFuture.supplyAsync(
            () -> {
              Map<String, String> values = new HashMap<>();
              try {
                for (String line; (line = out.readLine()) != null; ) {
                  int eq = line.indexOf('=');
                  if (line.startsWith("VCSIM_") && eq > 0) {
                    values.put(line.substring(0, eq), line.substring(eq + 1));
                  }
                  if (line.equals("VCSIM_READY=1")) {
                    return values;
                  }
                }
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
              throw new IllegalStateException("scripts/vcsim exited before it was ready");
            });
    try {
      Map<String, String> values = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Thread drain = new Thread(() -> {
        try {
          while (out.readLine() != null) {
            // discard
          }
        } catch (IOException ignored) {
          // process gone
        }
      }, "vcsim-stdout");
      drain.setDaemon(true);
      drain.start();
      return Map.copyOf(values);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException("scripts/vcsim did not start (see " + dir.resolve("vcsim-stderr.log") + ")", e);
    }
  }
}
