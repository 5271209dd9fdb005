package dev.vaultgate.vault.cli;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.List;

/**
 * {@code vaultgate}: back up disk images and block devices to a vault and restore them.
 * Errors are one line on stderr naming the object and the operation, and a non-zero exit.
 */
@Command(name = "vaultgate", mixinStandardHelpOptions = true, versionProvider = VaultgateCli.Version.class,
    description = "Back up disk images and block devices to an encrypted, deduplicated vault (a directory or S3) and restore them.",
    footer = {"", "Vault URLs: file:///abs/dir or s3://bucket[/prefix]?endpoint=http://127.0.0.1:PORT&region=REGION",
        "S3 credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE).",
        "The master key is ~/.config/vaultgate/master.key unless VAULTGATE_MASTER_KEY or --master-key names another file."})
public final class VaultgateCli {
  private static final List<Class<?>> COMMANDS = List.of(VaultCommands.class, BackupCommand.class, RestoreCommand.class,
      PointsCommand.class, ForgetCommand.class, LegalHoldCommand.class, CopyCommand.class, BatchCommand.class);

  /** The command's name as typed ("vaultgate backup"), for lines written where the command is not known. */
  private static volatile String commandName = "vaultgate";

  public static void main(String[] args) {
    commandName = "vaultgate" + (args.length > 0 ? " " + args[0] : "")
        + (args.length > 1 && args[0].equals("vault") ? " " + args[1] : ""); // "vaultgate vault gc"
    int exit;
    try {
      exit = run(args);
    } catch (OutOfMemoryError e) {
      System.err.println(outOfHeap(e));
      if (System.getenv("VAULTGATE_DEBUG") != null) {
        e.printStackTrace(); // where the heap ran out
      }
      exit = 1;
    }
    System.exit(exit);
  }

  /**
   * One line, as for every other failure. Block tables and the chunk index spill to disk past their share of the heap,
   * so what runs out is a heap set smaller than a command's buffers (docs/DESIGN.md, "Known limits").
   */
  private static String outOfHeap(OutOfMemoryError e) {
    return commandName + ": out of Java heap (" + e.getMessage()
        + "); give the JVM a larger heap, e.g. VAULTGATE_JAVA_OPTS=-Xmx1g";
  }

  /**
   * The Vert.x of a command. Its workers may run for an hour. A handler on an event loop that throws fails no future,
   * so the command would wait for ever: running out of heap there ends the command (exit 1, from another thread, so
   * that the shutdown hook can still let the vault lock go through the event loop); anything else is told in one line.
   */
  static Vertx newVertx() {
    Vertx vertx = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(10_000)
        .setMaxWorkerExecuteTime(3600L * 1_000_000_000L));
    vertx.exceptionHandler(e -> {
      if (e instanceof OutOfMemoryError oom) {
        System.err.println(outOfHeap(oom));
        new Thread(() -> System.exit(1), "vaultgate-out-of-heap").start();
      } else {
        System.err.println(commandName + ": unexpected failure in an event-loop handler: " + Errors.oneLine(e));
      }
    });
    return vertx;
  }

  /** Runs the command line and returns the exit code: 0 done, 1 failed, 2 bad usage. */
  public static int run(String... args) {
    // Quiet the libraries: our own output is the summary or JSON on stdout and one error line on stderr.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    // A warning reads "WARN IndexRepair - vault ...: what happened": the thread that logged it tells an operator nothing.
    System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
    System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
    dev.vaultgate.vault.repo.Trace.mark("jvm started, main entered");
    CommandLine cli = new CommandLine(new VaultgateCli());
    for (Class<?> command : commandsFor(args)) {
      cli.addSubcommand(command);
    }
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println(cmd.getCommandName().equals("vaultgate") ? "vaultgate: " + Errors.oneLine(e)
          : "vaultgate " + qualifiedName(cmd) + ": " + Errors.oneLine(e));
      if (System.getenv("VAULTGATE_DEBUG") != null) {
        e.printStackTrace(cmd.getErr());
      }
      return 1;
    });
    return cli.execute(args);
  }

  /**
   * The subcommands to build: only the one named when the first argument names one, else all (help, a typo's
   * suggestions). picocli reflects over every option of every command it is given, ~0.1 s of a backup's start.
   */
  static List<Class<?>> commandsFor(String... args) {
    if (args.length > 0) {
      for (Class<?> command : COMMANDS) {
        if (command.getAnnotation(Command.class).name().equals(args[0])) {
          return List.of(command);
        }
      }
    }
    return COMMANDS;
  }

  private static String qualifiedName(CommandLine cmd) {
    CommandLine parent = cmd.getParent();
    return parent == null || parent.getParent() == null ? cmd.getCommandName() : parent.getCommandName() + " " + cmd.getCommandName();
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = VaultgateCli.class.getPackage().getImplementationVersion();
      return new String[] {"vaultgate " + (v == null ? "development build" : v)};
    }
  }
}
