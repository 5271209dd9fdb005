package dev.vaultgate.agent.testing;

import static dev.vaultgate.agent.testing.Await.await;

import dev.vaultgate.agent.gateway.GatewayAgent;
import dev.vaultgate.agent.gateway.GatewayConfig;
import dev.vaultgate.agent.gateway.VmResources;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.agent.VaultLocations;
import dev.vaultgate.coordinator.agent.VaultStorageAccess;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;

/**
 * Everything a gateway works with, real and on loopback: the vCenter simulator, a coordinator on its own Vert.x
 * with embedded PostgreSQL, a switchable TCP proxy in front of it (to make it unreachable), an account with its
 * key and AWS Backup SDK client, a vault, and a started {@link GatewayAgent}.
 */
public final class GatewayTestbed implements AutoCloseable {
  public static final String REGION = "us-east-1";

  public final ConnectedVcsim vc;
  public final Vertx coordinatorVertx;
  public final Coordinator coordinator;
  public final SwitchableProxy proxy;
  public final AccessKey key;
  public final BackupClient backup;
  public final Path dir;
  public final String vaultLocation;
  public final String vaultName;
  public final String role;
  public GatewayAgent agent;

  private GatewayTestbed(ConnectedVcsim vc, Vertx coordinatorVertx, Coordinator coordinator, SwitchableProxy proxy, AccessKey key,
                         BackupClient backup, Path dir, String vaultLocation, String vaultName) {
    this.vc = vc;
    this.coordinatorVertx = coordinatorVertx;
    this.coordinator = coordinator;
    this.proxy = proxy;
    this.key = key;
    this.backup = backup;
    this.dir = dir;
    this.vaultLocation = vaultLocation;
    this.vaultName = vaultName;
    this.role = "arn:aws:iam::" + key.accountId() + ":role/backup";
  }

  /**
   * Starts the simulator ({@code vcsimArgs}), the coordinator with its vaults under {@code vaultStorageRoot}
   * (null: {@code file://<dir>/vaults}), an account with a vault, and the agent.
   */
  public static GatewayTestbed start(Path dir, String vaultStorageRoot, String... vcsimArgs) throws IOException {
    return start(dir, vaultStorageRoot, Map.of(), vcsimArgs);
  }

  /** {@link #start(Path, String, String...)} with other regions' vault storage roots ({@code --region-storage}). */
  public static GatewayTestbed start(Path dir, String vaultStorageRoot, Map<String, String> regionStorage, String... vcsimArgs)
      throws IOException {
    ConnectedVcsim vc = ConnectedVcsim.start(16, vcsimArgs);
    Vertx cv = Vertx.vertx();
    try {
      if (System.getProperty("ot.epg.working-dir") == null) {
        System.setProperty("ot.epg.working-dir", Path.of("target", "epg").toAbsolutePath().toString());
      }
      Path data = dir.resolve("coordinator-" + UUID.randomUUID());
      String root = vaultStorageRoot != null ? vaultStorageRoot : "file://" + Files.createDirectories(dir.resolve("vaults"));
      Coordinator c = await(cv, () -> Coordinator.start(cv, CoordinatorConfig.forTests(data).withStorage(root, null)
          .withRegionStorage(regionStorage), Map.of(),
          Clock.systemUTC()));
      SwitchableProxy proxy = SwitchableProxy.start(cv, "127.0.0.1", c.port());
      String account = String.format("%012d", Math.abs(UUID.randomUUID().getMostSignificantBits()) % 1_000_000_000_000L);
      AccessKey key = await(cv, () -> c.accessKeys().issue(account));
      BackupClient backup = BackupClient.builder()
          .endpointOverride(URI.create("http://127.0.0.1:" + c.port()))
          .region(Region.US_EAST_1)
          .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
          .httpClientBuilder(Apache5HttpClient.builder())
          .build();
      String vaultName = "gateway-vault";
      backup.createBackupVault(r -> r.backupVaultName(vaultName));
      String location = VaultLocations.of(root, account, vaultName); // where the coordinator's jobs say the vault is
      GatewayTestbed bed = new GatewayTestbed(vc, cv, c, proxy, key, backup, dir, location, vaultName);
      bed.startAgent(4);
      return bed;
    } catch (RuntimeException | IOException e) {
      cv.close().await();
      vc.close();
      throw e;
    }
  }

  /**
   * The agent's config, with the simulator given directly (null: from the coordinator's heartbeat): polls every
   * 200 ms, heartbeats every second, the shortest lease (30 s: progress every 5 s), no periodic inventory within
   * a test (changes come through the change feed).
   */
  /** The coordinator's way to its vaults' storage (this region's root), opened by {@code opener}: for storage passes. */
  public VaultStorageAccess vaults(Function<String, VaultStorage> opener) {
    return new VaultStorageAccess(REGION, coordinator.config().vaultStorageRoot(), Map.of(), opener);
  }

  public GatewayConfig config(int maxJobs, boolean staticVcenter) throws IOException {
    return config(key, maxJobs, staticVcenter);
  }

  /** The config of a gateway of the account of {@code account}. */
  public GatewayConfig config(AccessKey account, int maxJobs, boolean staticVcenter) throws IOException {
    Path state = Files.createDirectories(dir.resolve("gateway-" + UUID.randomUUID()));
    GatewayConfig c = GatewayConfig.of(URI.create("http://127.0.0.1:" + proxy.port()), REGION, account.accessKeyId(),
            account.secretAccessKey(), state)
        .withName("site-a")
        .withMaxJobs(maxJobs)
        .withLeaseSeconds(30)
        .withIntervals(Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofMinutes(10));
    return staticVcenter ? c.withVcenter(ConnectedVcsim.endpoint(vc.vcsim)) : c;
  }

  public void startAgent(int maxJobs) throws IOException {
    GatewayConfig config = config(maxJobs, true);
    agent = await(vc.vertx, () -> GatewayAgent.start(vc.vertx, config));
  }

  /** A key of a fresh account. */
  public AccessKey newAccount() {
    String account = String.format("%012d", Math.abs(UUID.randomUUID().getMostSignificantBits()) % 1_000_000_000_000L);
    return await(coordinatorVertx, () -> coordinator.accessKeys().issue(account));
  }

  /** The AWS Backup gateway API client of an account. */
  public BackupGatewayClient gatewayApi(AccessKey account) {
    return BackupGatewayClient.builder()
        .endpointOverride(URI.create("http://127.0.0.1:" + coordinator.port()))
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(account.accessKeyId(), account.secretAccessKey())))
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  /** The AWS Backup API client of an account. */
  public BackupClient backupApi(AccessKey account) {
    return BackupClient.builder()
        .endpointOverride(URI.create("http://127.0.0.1:" + coordinator.port()))
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(account.accessKeyId(), account.secretAccessKey())))
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  public VmInfo vm(String name) {
    return await(vc.vertx, () -> vc.client.vm(name));
  }

  public String arn(String vmName) {
    return VmResources.arn(REGION, key.accountId(), vm(vmName));
  }

  /** The local file of the VM's first disk. */
  public Path flatFile(String vmName) {
    return vc.vcsim.datastoreFile(vm(vmName).hardware().disks().get(0).file().flatExtent().path());
  }

  public String startBackup(String vmName) {
    String arn = arn(vmName);
    return backup.startBackupJob(r -> r.backupVaultName(vaultName).iamRoleArn(role).resourceArn(arn)).backupJobId();
  }

  /** Waits until {@code done} holds, polling every 200 ms, for up to {@code timeout}. */
  public static void waitFor(String what, Duration timeout, BooleanSupplier done) {
    long end = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    try {
      if (agent != null) {
        await(vc.vertx, agent::close);
      }
    } finally {
      try {
        backup.close();
        proxy.close();
        coordinator.close().await();
      } finally {
        coordinatorVertx.close().await();
        vc.close();
      }
    }
  }
}
