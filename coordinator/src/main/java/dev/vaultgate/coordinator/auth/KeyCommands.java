package dev.vaultgate.coordinator.auth;

import dev.vaultgate.coordinator.audit.AuditCommands.DatabaseOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code scripts/coordinator keys create}: issues an access key for an account, the way an
 * operator gives a team its own account. A key sees only its account's resources. Run against the
 * coordinator's database (its {@code --database}, or the embedded one under {@code --data}, with
 * the coordinator stopped).
 */
@Command(name = "keys", description = "Issue access keys for accounts.", mixinStandardHelpOptions = true,
    subcommands = KeyCommands.Create.class)
public final class KeyCommands implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  private static final Pattern ACCOUNT = Pattern.compile("[0-9]{12}");

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = {"Creates an access key for ACCOUNT and prints it as an AWS shared-credentials profile"
          + " (or writes it, mode 0600, with --output). The secret is shown once: the coordinator keeps it to"
          + " verify signatures but never prints it again."})
  public static final class Create implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Option(names = "--account", paramLabel = "ID", required = true, description = "The account (12 digits).")
    String account;

    @Option(names = "--region", paramLabel = "REGION", description = "Region written into the profile. Default: ${DEFAULT-VALUE}.")
    String region = "us-east-1";

    @Option(names = "--output", paramLabel = "FILE", description = "Write the profile here (mode 0600) instead of printing it.")
    Path output;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        if (!ACCOUNT.matcher(account).matches()) {
          throw new IllegalArgumentException("--account " + account + ": expected 12 digits");
        }
        AccessKey key = db.withPool(pool -> new PgAccessKeyStore(pool).save(AccessKey.generate(account)));
        if (output != null) {
          AdminCredentials.write(output, key, region);
          out.println("access key " + key.accessKeyId() + " for account " + account + " written to " + output
              + " (profile " + AdminCredentials.PROFILE + ")");
        } else {
          out.println("[" + AdminCredentials.PROFILE + "]");
          out.println("aws_access_key_id = " + key.accessKeyId());
          out.println("aws_secret_access_key = " + key.secretAccessKey());
          out.println("region = " + region);
        }
        out.flush();
        return 0;
      } catch (Exception e) {
        Throwable t = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        err.println("coordinator keys create: " + t.getMessage());
        err.flush();
        return 2;
      }
    }
  }
}
