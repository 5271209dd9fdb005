package dev.vaultgate.coordinator;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code scripts/coordinator}: runs a coordinator until it is stopped (SIGINT/SIGTERM). */
@Command(
    name = "coordinator",
    mixinStandardHelpOptions = true,
    version = "Vaultgate coordinator 0.1.0",
    subcommands = {dev.vaultgate.coordinator.audit.AuditCommands.class, dev.vaultgate.coordinator.auth.KeyCommands.class,
        dev.vaultgate.coordinator.gateway.GatewayCommands.class},
    description = {
      "Runs the Vaultgate coordinator: the AWS Backup API (REST-JSON, SigV4) over PostgreSQL.",
      "",
      "Point the AWS CLI or an AWS SDK at it with --endpoint-url http://HOST:PORT and the"
          + " credentials of the 'vaultgate' profile in DIR/admin-credentials, written on first start"
          + " (or set VAULTGATE_ADMIN_ACCESS_KEY_ID and VAULTGATE_ADMIN_SECRET_ACCESS_KEY to choose"
          + " the admin key).",
      "",
      "Vault notifications go to SNS topics the coordinator serves (aws sns --endpoint-url ...);"
          + " e-mail subscriptions need an SMTP relay: VAULTGATE_SMTP_HOST, VAULTGATE_SMTP_PORT (25),"
          + " VAULTGATE_SMTP_FROM, VAULTGATE_SMTP_USERNAME/PASSWORD, VAULTGATE_SMTP_STARTTLS"
          + " (DISABLED, OPTIONAL, REQUIRED); VAULTGATE_PUBLIC_URL (this coordinator as subscribers reach it, for"
          + " confirmation links). Delivery timing: VAULTGATE_NOTIFY_* (see coordinator/README.md).",
      ""
    })
public final class CoordinatorMain implements java.util.concurrent.Callable<Integer> {

  @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (0: any free port). Default: ${DEFAULT-VALUE}.")
  int port = 8080;

  @Option(names = "--gateway-port", paramLabel = "PORT",
      description = "Port of the gateway listener: the agent API over mutual TLS, gateways known by their certificates"
          + " (0: any free port, -1: none). Default: ${DEFAULT-VALUE}.")
  int gatewayPort = 8443;

  @Option(names = "--host", paramLabel = "ADDRESS", description = "Address to listen on. Default: ${DEFAULT-VALUE} (plain HTTP is for loopback).")
  String host = "127.0.0.1";

  @Option(names = "--data", paramLabel = "DIR",
      description = "Data directory: the embedded PostgreSQL and admin-credentials live here. Default: ${DEFAULT-VALUE}.")
  Path data = Path.of(System.getProperty("user.home"), ".vaultgate", "coordinator");

  @Option(names = "--database", paramLabel = "URL",
      description = "PostgreSQL to use, as postgresql://user:password@host:port/database."
          + " Default: an embedded PostgreSQL under DIR/postgres.")
  String database;

  @Option(names = "--region", paramLabel = "REGION", description = "Region of ARNs and of the SigV4 scope. Default: ${DEFAULT-VALUE}.")
  String region = "us-east-1";

  @Option(names = "--account", paramLabel = "ID", description = "Account id (12 digits) of the admin key. Default: ${DEFAULT-VALUE}.")
  String account = "000000000000";

  @Option(names = "--instances", paramLabel = "N", description = "Event loops serving the API. Default: the number of cores (${DEFAULT-VALUE}).")
  int instances = Runtime.getRuntime().availableProcessors();

  @Option(names = "--vault-storage-root", paramLabel = "URL",
      description = "Where vault data lives: file:///DIR or s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION;"
          + " each vault under <URL>/<account>/<vault>. Default: file://DIR/vaults.")
  String vaultStorageRoot;

  @Option(names = "--region-storage", paramLabel = "REGION=URL",
      description = "Where another region's vaults live (same form as --vault-storage-root), so copies into that"
          + " region's vaults can be written; repeat for each region.")
  java.util.Map<String, String> regionStorage = new java.util.LinkedHashMap<>();

  @Option(names = "--audit-digests", paramLabel = "S3_URL",
      description = "auditDigestLocation: where signed digests of the activity log go,"
          + " s3://bucket[/prefix][?endpoint=http://host:port&region=r] (Object Lock retention when the bucket has it;"
          + " credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the SDK's default chain). Default: none.")
  String auditDigests;

  @Option(names = "--audit-digest-minutes", paramLabel = "N",
      description = "Minutes between audit digests (0: only `audit digest` on demand). Default: ${DEFAULT-VALUE}.")
  long auditDigestMinutes = 60;

  @Option(names = "--audit-digest-retention-days", paramLabel = "N",
      description = "Object Lock (COMPLIANCE) retention of each digest, in days. Default: ${DEFAULT-VALUE}.")
  long auditDigestRetentionDays = 365;

  @Option(names = "--tls-certificate", paramLabel = "PEM",
      description = "Serve the AWS API over HTTPS with this certificate (chain), e.g. certs/dev/coordinator.crt"
          + " from certs/make-dev-ca. Default: plain HTTP (for loopback).")
  Path tlsCertificate;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "The private key of --tls-certificate.")
  Path tlsKey;

  @Option(names = "--master-key", paramLabel = "FILE",
      description = "The master key sealing hypervisor passwords (made when missing; replicas share it)."
          + " Default: DIR/master.key.")
  Path masterKey;

  @Option(names = "--vault-master-key", paramLabel = "FILE",
      description = "The vaults' master key (the gateway's master.key): with it the coordinator garbage-collects"
          + " vaults whose recovery points were deleted. Default: none (deleted points' manifests still leave"
          + " storage; their packs stay until a 'vaultgate vault gc').")
  Path vaultMasterKey;

  @Option(names = "--vault-gc-interval", paramLabel = "MINUTES",
      description = "The least time between two gcs of one vault, in minutes. Default: ${DEFAULT-VALUE}.")
  long vaultGcMinutes = 60;

  /** The vault gc settings; a key file that cannot be read fails at start, naming the option. */
  static dev.vaultgate.coordinator.vaultgc.VaultGcSettings vaultGc(Path key, long minutes) {
    if (minutes < 1) throw new IllegalArgumentException("--vault-gc-interval " + minutes + ": expected at least 1 minute");
    if (key != null && !java.nio.file.Files.isReadable(key)) {
      throw new IllegalArgumentException("--vault-master-key " + key + ": expected a readable master key file (the"
          + " gateway's master.key)");
    }
    return new dev.vaultgate.coordinator.vaultgc.VaultGcSettings(key, java.time.Duration.ofMinutes(minutes));
  }

  @Override
  public Integer call() throws Exception {
    CoordinatorConfig config;
    try {
      config = new CoordinatorConfig(host, port, data.toAbsolutePath(), database, region, account, instances, 1024 * 1024)
          .withStorage(vaultStorageRoot, masterKey == null ? null : masterKey.toAbsolutePath())
          .withRegionStorage(regionStorage)
          .withTls(tlsCertificate == null && tlsKey == null ? null
              : new CoordinatorConfig.ApiTls(tlsCertificate == null ? null : tlsCertificate.toAbsolutePath(),
                  tlsKey == null ? null : tlsKey.toAbsolutePath()))
          .withAudit(new dev.vaultgate.coordinator.audit.AuditConfig(auditDigests,
              java.time.Duration.ofMinutes(auditDigestMinutes), java.time.Duration.ofDays(auditDigestRetentionDays)))
          .withVaultGc(vaultGc(vaultMasterKey, vaultGcMinutes));
    } catch (IllegalArgumentException e) {
      System.err.println("coordinator: " + e.getMessage());
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    Coordinator coordinator;
    try {
      coordinator = Coordinator.start(vertx, config, System.getenv(), Clock.systemUTC())
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("coordinator: cannot start: " + cause.getMessage());
      vertx.close();
      return 1;
    }
    int gatewayListenerPort = -1;
    if (gatewayPort >= 0) {
      try {
        gatewayListenerPort = coordinator.startGatewayListener(gatewayPort)
            .toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
      } catch (java.util.concurrent.ExecutionException e) {
        System.err.println("coordinator: cannot start the gateway listener on port " + gatewayPort + ": "
            + (e.getCause() == null ? e : e.getCause()).getMessage());
        coordinator.close().eventually(vertx::close);
        return 1;
      }
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        coordinator.close().eventually(vertx::close).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("coordinator: unclean stop: " + e.getMessage());
      }
      stopped.countDown();
    }, "coordinator-stop"));
    System.out.println("Vaultgate coordinator listening on " + (config.tls() == null ? "http" : "https") + "://" + host + ":" + coordinator.port()
        + " (account " + account + ", region " + region + ")");
    if (gatewayListenerPort > 0) {
      System.out.println("Gateway listener (mutual TLS) on https://" + host + ":" + gatewayListenerPort
          + "; gateway CA and certificates in " + coordinator.gatewayPki().directory());
    }
    if (System.getenv(dev.vaultgate.coordinator.auth.AdminCredentials.ENV_KEY_ID) == null) {
      System.out.println("Admin credentials: " + config.adminCredentialsFile() + " (profile vaultgate)");
    }
    stopped.await();
    return 0;
  }

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new CoordinatorMain());
    cli.setParameterExceptionHandler((ex, a) -> {
      ex.getCommandLine().getErr().println("coordinator: " + ex.getMessage() + " (see --help)");
      return 2;
    });
    int code = cli.execute(args);
    if (code != 0) System.exit(code);
  }
}
