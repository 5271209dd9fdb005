package dev.vaultgate.coordinator.gateway;

import dev.vaultgate.coordinator.audit.AuditCommands.DatabaseOptions;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scripts/coordinator gateways activation-key}: an operator issues the key a gateway joins with ({@code
 * vaultgate register --coordinator URL --activation-key KEY}). Runs against the coordinator's database (its {@code
 * --database}, or the embedded one under {@code --data} with the coordinator stopped), or with {@code --endpoint}
 * against a running coordinator: the SigV4-signed {@code POST /agent/v1/activation-keys}, with the admin key. {@code gateways vault-policy} prints the bucket
 * policy that makes the gateways' S3 credentials write-only ({@link GatewayVaultPolicy}).
 */
@Command(name = "gateways", description = "Gateway administration: activation keys, the vault bucket's gateway policy.",
    mixinStandardHelpOptions = true, subcommands = {GatewayCommands.ActivationKey.class, GatewayCommands.VaultPolicy.class})
public final class GatewayCommands implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  private static final Pattern ACCOUNT = Pattern.compile("[0-9]{12}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,63}");
  private static final Pattern LIFETIME = Pattern.compile("([0-9]{1,6})([smhd])");

  /** {@code 90s}, {@code 30m}, {@code 2h}, {@code 7d}: IllegalArgumentException naming the option otherwise. */
  static Duration parseLifetime(String text) {
    Matcher m = LIFETIME.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("--expires-in " + text + ": expected a number and a unit, s, m, h or d (e.g. 30m)");
    }
    long n = Long.parseLong(m.group(1));
    Duration d = switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
    if (d.compareTo(PgActivationKeyStore.MIN_LIFETIME) < 0 || d.compareTo(PgActivationKeyStore.MAX_LIFETIME) > 0) {
      throw new IllegalArgumentException("--expires-in " + text + ": expected 1m to 7d");
    }
    return d;
  }

  @Command(name = "activation-key", mixinStandardHelpOptions = true,
      description = {"Issues a single-use activation key for ACCOUNT and prints it with the command the gateway runs."
          + " The key is shown once: the coordinator keeps only its SHA-256."})
  public static final class ActivationKey implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Option(names = "--account", paramLabel = "ID",
        description = "The account the gateway joins (12 digits). Not with --endpoint: there it is the signing key's.")
    String account;

    @Option(names = "--endpoint", paramLabel = "URL",
        description = "A running coordinator's API (http://127.0.0.1:8080): ask it, signed with --credentials, instead of"
            + " opening the database.")
    java.net.URI endpoint;

    @Option(names = "--credentials", paramLabel = "FILE",
        description = "With --endpoint: the shared-credentials file with the 'vaultgate' profile. Default: DIR/admin-credentials.")
    java.nio.file.Path credentials;

    @Option(names = "--region", paramLabel = "REGION", description = "With --endpoint: the coordinator's region. Default: ${DEFAULT-VALUE}.")
    String region = "us-east-1";

    @Option(names = "--name", paramLabel = "NAME", description = "Only a gateway with this gatewayName may join with the key.")
    String name;

    @Option(names = "--expires-in", paramLabel = "DURATION", description = "How long the key works: 1m to 7d. Default: ${DEFAULT-VALUE}.")
    String expiresIn = "30m";

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        if (endpoint != null && account != null) {
          throw new IllegalArgumentException("--account: not with --endpoint (the key's account is the signing key's)");
        }
        if (endpoint == null && account == null) {
          throw new IllegalArgumentException("--account: missing (or ask a running coordinator with --endpoint)");
        }
        if (account != null && !ACCOUNT.matcher(account).matches()) {
          throw new IllegalArgumentException("--account " + account + ": expected 12 digits");
        }
        if (name != null && !NAME.matcher(name).matches()) {
          throw new IllegalArgumentException("--name " + name + ": expected 1-63 letters, digits, '.', '_' or '-'");
        }
        Duration lifetime = parseLifetime(expiresIn);
        PgActivationKeyStore.Issued key = endpoint != null
            ? SignedActivationKeyRequest.issue(endpoint, credentials != null ? credentials : db.dataDir().resolve("admin-credentials"),
                region, name, lifetime)
            : db.withPool(pool -> new PgActivationKeyStore(pool).issue(account, name, lifetime, Clock.systemUTC().instant()));
        out.println("activation key " + key.activationKey() + " for account " + key.accountId()
            + (name == null ? "" : " and gateway " + name) + " (single use, valid until " + key.expiresAt() + ")");
        out.println("on the gateway: vaultgate register --config /etc/vaultgate/appliance.conf"
            + " --coordinator https://COORDINATOR:8080 --activation-key " + key.activationKey());
        out.flush();
        return 0;
      } catch (Exception e) {
        Throwable t = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        err.println("coordinator gateways activation-key: " + t.getMessage());
        err.flush();
        return 2;
      }
    }
  }

  @Command(name = "vault-policy", mixinStandardHelpOptions = true,
      description = {"Prints the bucket policy that lets the gateways' S3 user put and read vault objects but never delete"
          + " them, shorten their retention or change the bucket. Apply it as the bucket's owner:",
          "  aws s3api put-bucket-policy --bucket BUCKET --policy file://policy.json"})
  public static final class VaultPolicy implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--bucket", required = true, paramLabel = "BUCKET", description = "The bucket of the coordinator's vault storage root.")
    String bucket;

    @Option(names = "--vault-root", paramLabel = "PREFIX",
        description = "The key prefix of the coordinator's vault storage root in the bucket (s3://BUCKET/PREFIX; '' for"
            + " the top). Repeatable.")
    java.util.List<String> vaultRoots = new java.util.ArrayList<>();

    @Option(names = "--vault", paramLabel = "PREFIX",
        description = "The key prefix of a single vault (an appliance's own vault.url). Repeatable.")
    java.util.List<String> vaults = new java.util.ArrayList<>();

    @Option(names = "--gateway-principal", required = true, paramLabel = "ARN",
        description = "The gateways' S3 user: arn:aws:iam::ACCOUNT:user/NAME (Ceph RGW: arn:aws:iam:::user/UID).")
    String gatewayPrincipal;

    @Option(names = "--owner-principal", paramLabel = "ARN",
        description = "The coordinator's S3 user, allowed everything (needed on Ceph RGW, where objects belong to their writer).")
    String ownerPrincipal;

    @Override
    public Integer call() {
      try {
        spec.commandLine().getOut().print(GatewayVaultPolicy.forBucket(bucket, vaultRoots, vaults, gatewayPrincipal,
            ownerPrincipal));
        spec.commandLine().getOut().flush();
        return 0;
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("coordinator gateways vault-policy: " + e.getMessage());
        spec.commandLine().getErr().flush();
        return 2;
      }
    }
  }
}
