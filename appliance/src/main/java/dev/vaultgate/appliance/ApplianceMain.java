package dev.vaultgate.appliance;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.config.ApplianceConfigParser;
import dev.vaultgate.appliance.config.ConfigException;
import dev.vaultgate.appliance.config.PasswordHash;
import dev.vaultgate.vault.Await;
import io.vertx.core.Vertx;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code vaultgate run | register | hash-password}: the appliance's commands. Errors are one line on stderr. */
@Command(name = "vaultgate", mixinStandardHelpOptions = true, versionProvider = ApplianceMain.Version.class,
    subcommands = {ApplianceMain.Run.class, ApplianceMain.Register.class, ApplianceMain.HashPassword.class},
    description = "The Vaultgate gateway appliance.")
public final class ApplianceMain {
  static final String DEFAULT_CONFIG = "/etc/vaultgate/appliance.conf";

  public static void main(String[] args) {
    System.exit(execute(new java.io.PrintWriter(System.err, true), args));
  }

  /** Runs a command; errors are one line on {@code err}; answers the exit status (2: a bad config). */
  static int execute(java.io.PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new ApplianceMain());
    cli.setErr(err);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("vaultgate " + cmd.getCommandName() + ": " + oneLine(e));
      return e instanceof ConfigException ? 2 : 1;
    });
    return cli.execute(args);
  }

  static String oneLine(Throwable e) {
    Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"vaultgate appliance " + Appliance.version(ApplianceMain.class)};
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true, description = "Run the gateway: the web UI and local-volume jobs (until stopped).")
  static final class Run implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "The config file (default: " + DEFAULT_CONFIG + ").")
    Path config = Path.of(DEFAULT_CONFIG);

    @Override
    public Integer call() throws InterruptedException {
      ApplianceConfig c = ApplianceConfigParser.load(config);
      Vertx vertx = Vertx.vertx();
      Appliance appliance;
      try {
        appliance = Await.await(vertx, () -> Appliance.start(vertx, c, Appliance.Options.defaults()));
      } catch (RuntimeException e) {
        vertx.close();
        throw e;
      }
      System.out.println("vaultgate: gateway " + c.gatewayName() + " running; web UI on https://" + c.webUi().host() + ":"
          + appliance.webPort() + "/ (health: /health)");
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          Await.await(vertx, appliance::close, java.time.Duration.ofSeconds(20));
        } catch (RuntimeException | AssertionError ignored) {
          // stopping anyway
        }
        vertx.close().toCompletionStage().toCompletableFuture().join();
        stopped.countDown();
      }, "vaultgate-shutdown"));
      stopped.await();
      return 0;
    }
  }

  @Command(name = "register", mixinStandardHelpOptions = true,
      description = {"Join a coordinator: make this gateway's key pair and send a certificate request; store the",
          "certificate the coordinator's gateway CA signed. Run it once, before 'run'. Two ways:",
          "  --activation-key KEY: a key the coordinator's operator issued (scripts/coordinator gateways",
          "    activation-key): the gateway joins at once;",
          "  without it, AWS's way: the coordinator makes a key, this command shows it, an administrator runs the",
          "    printed 'aws backup-gateway create-gateway' with it, and the gateway waits for that."})
  static final class Register implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "The config file (default: " + DEFAULT_CONFIG + ").")
    Path config = Path.of(DEFAULT_CONFIG);

    @Option(names = "--coordinator", required = true, paramLabel = "URL",
        description = "The coordinator's API (where activations are made), e.g. https://coordinator:8080.")
    URI coordinator;

    @Option(names = "--coordinator-ca", paramLabel = "FILE",
        description = "Copy this CA certificate to the config's tls.coordinatorCaFile first (else the claim's is kept).")
    Path coordinatorCa;

    @Option(names = "--activation-key", paramLabel = "KEY",
        description = "A single-use key the coordinator's operator issued for the account (else: AWS's create-gateway flow).")
    String activationKey;

    @Option(names = "--poll-seconds", paramLabel = "N", description = "Seconds between claim polls (default: ${DEFAULT-VALUE}).")
    int pollSeconds = 3;

    @Override
    public Integer call() throws Exception {
      ApplianceConfig c = ApplianceConfigParser.load(config);
      if (coordinatorCa != null) {
        if (!Files.isReadable(coordinatorCa)) {
          throw new IllegalArgumentException("--coordinator-ca " + coordinatorCa + ": no such readable file");
        }
        Files.createDirectories(c.tls().coordinatorCaFile().toAbsolutePath().getParent());
        Files.copy(coordinatorCa, c.tls().coordinatorCaFile(), StandardCopyOption.REPLACE_EXISTING);
      }
      if (pollSeconds < 1 || pollSeconds > 300) {
        throw new IllegalArgumentException("--poll-seconds " + pollSeconds + ": expected 1-300");
      }
      Vertx vertx = Vertx.vertx();
      try {
        Registration.Registered r = activationKey != null
            ? Await.await(vertx, () -> Registration.join(vertx, c, coordinator, activationKey), java.time.Duration.ofMinutes(2))
            : Await.await(vertx, () -> Registration.register(vertx, c, coordinator, a -> {
          System.out.println("vaultgate: activation key " + a.activationKey() + " (valid until " + a.expiresAt() + ")");
          System.out.println("vaultgate: an administrator of the account now runs:");
          System.out.println("  " + a.createGatewayCommand(coordinator, c.gatewayName()));
          System.out.println("vaultgate: waiting for it...");
          System.out.flush();
        }, java.time.Duration.ofSeconds(pollSeconds)), java.time.Duration.ofMinutes(31));
        System.out.println("vaultgate: gateway " + c.gatewayName() + " joined as " + r.gatewayArn() + "; certificate in "
            + r.certificateFile() + (r.gatewayEndpoint() == null ? "" : "; gateway listener " + r.gatewayEndpoint()));
        if (r.gatewayEndpoint() != null && !r.gatewayEndpoint().equals(c.coordinatorUrl().toString())) {
          System.out.println("vaultgate: note: the config's coordinatorUrl is " + c.coordinatorUrl()
              + "; the coordinator's gateway listener is " + r.gatewayEndpoint());
        }
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().join();
      }
      return 0;
    }
  }

  @Command(name = "hash-password", mixinStandardHelpOptions = true,
      description = "Print the webUi.adminPasswordHash of a password read from the terminal (or one line of stdin).")
  static final class HashPassword implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      char[] password;
      Console console = System.console();
      if (console != null) {
        password = console.readPassword("admin password: ");
        char[] again = console.readPassword("again: ");
        if (!java.util.Arrays.equals(password, again)) {
          throw new IllegalArgumentException("the two passwords differ");
        }
      } else {
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        password = line == null ? new char[0] : line.toCharArray();
      }
      if (password.length < 8) {
        throw new IllegalArgumentException("the admin password must have at least 8 characters");
      }
      System.out.println(PasswordHash.create(password, PasswordHash.DEFAULT_ITERATIONS).encode());
      return 0;
    }
  }
}
