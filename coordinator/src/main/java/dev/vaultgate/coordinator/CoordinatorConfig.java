package dev.vaultgate.coordinator;

import dev.vaultgate.coordinator.audit.AuditConfig;
import dev.vaultgate.coordinator.vaultgc.VaultGcSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The coordinator's settings, checked once at start.
 *
 * @param host the address to listen on (loopback by default: plain HTTP is for development)
 * @param port the port, 0 for any free one
 * @param dataDir where the embedded PostgreSQL and the admin credentials live
 * @param databaseUrl a {@code postgresql://} URL, or null for the embedded server
 * @param region the region in ARNs and in the SigV4 credential scope
 * @param accountId the account of the admin key
 * @param instances how many HTTP verticles (event loops) serve the API
 * @param bodyLimit the largest request body accepted, in bytes
 * @param schedulerInterval how often the scheduler looks for due work (schedules, leases,
 *     windows, lifecycles); zero turns it off (tests that drive it themselves)
 * @param vaultStorageRoot where vault data lives, as the vault module reads a location
 *     ({@code file:///dir} or {@code s3://bucket[/prefix][?endpoint=...&region=...]}); each vault is
 *     {@code <root>/<accountId>/<vaultName>}. Null: {@code file://<dataDir>/vaults}
 * @param masterKeyFile the coordinator's master key (32 bytes) that seals hypervisor passwords at
 *     rest, made on first start when missing; replicas on one database must share it. Null:
 *     {@code <dataDir>/master.key}
 * @param hypervisorTestTimeout how long TestHypervisorConfiguration waits for the gateway's answer
 * @param audit where and how often the activity log's signed digests are written
 * @param regionStorage the vault storage root of each other region (its name to a URL of the same
 *     form as {@code vaultStorageRoot}): where copies into that region's vaults are written
 * @param tls the certificate the AWS API is served with over HTTPS; null: plain HTTP (development,
 *     on loopback)
 * @param vaultGc the vault master key the coordinator garbage-collects vaults with, and how often (null: no key,
 *     deleted points' manifests still leave storage)
 */
public record CoordinatorConfig(
    String host, int port, Path dataDir, String databaseUrl, String region, String accountId, int instances,
    long bodyLimit, Duration schedulerInterval, String vaultStorageRoot, Path masterKeyFile,
    Duration hypervisorTestTimeout, AuditConfig audit, Map<String, String> regionStorage, ApiTls tls,
    VaultGcSettings vaultGc) {

  /**
   * The PEM certificate (chain) and private key the AWS API is served with, e.g. the coordinator
   * certificate {@code certs/make-dev-ca} makes, or one from an organization's CA.
   */
  public record ApiTls(Path certificate, Path key) {
    public ApiTls {
      for (Path p : new Path[] {certificate, key}) {
        if (p == null || !java.nio.file.Files.isReadable(p)) {
          throw new IllegalArgumentException((p == certificate ? "--tls-certificate " : "--tls-key ") + p
              + ": expected a readable PEM file");
        }
      }
    }
  }

  /** Without a vault master key: deleted points' manifests leave storage, no gc. */
  public CoordinatorConfig(String host, int port, Path dataDir, String databaseUrl, String region, String accountId,
      int instances, long bodyLimit, Duration schedulerInterval, String vaultStorageRoot, Path masterKeyFile,
      Duration hypervisorTestTimeout, AuditConfig audit, Map<String, String> regionStorage, ApiTls tls) {
    this(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit, schedulerInterval,
        vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, audit, regionStorage, tls, VaultGcSettings.NONE);
  }

  /** Over plain HTTP. */
  public CoordinatorConfig(String host, int port, Path dataDir, String databaseUrl, String region, String accountId,
      int instances, long bodyLimit, Duration schedulerInterval, String vaultStorageRoot, Path masterKeyFile,
      Duration hypervisorTestTimeout, AuditConfig audit, Map<String, String> regionStorage) {
    this(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit, schedulerInterval,
        vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, audit, regionStorage, null);
  }

  /** Without other regions' storage. */
  public CoordinatorConfig(String host, int port, Path dataDir, String databaseUrl, String region, String accountId,
      int instances, long bodyLimit, Duration schedulerInterval, String vaultStorageRoot, Path masterKeyFile,
      Duration hypervisorTestTimeout, AuditConfig audit) {
    this(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit, schedulerInterval,
        vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, audit, Map.of());
  }

  /** Without audit digests. */
  public CoordinatorConfig(String host, int port, Path dataDir, String databaseUrl, String region, String accountId,
      int instances, long bodyLimit, Duration schedulerInterval, String vaultStorageRoot, Path masterKeyFile,
      Duration hypervisorTestTimeout) {
    this(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit, schedulerInterval,
        vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, AuditConfig.NONE);
  }

  public static final Duration DEFAULT_SCHEDULER_INTERVAL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_HYPERVISOR_TEST_TIMEOUT = Duration.ofSeconds(20);

  /** With the default vault storage root, master key file and hypervisor test timeout. */
  public CoordinatorConfig(String host, int port, Path dataDir, String databaseUrl, String region, String accountId,
      int instances, long bodyLimit, Duration schedulerInterval) {
    this(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit, schedulerInterval, null, null,
        DEFAULT_HYPERVISOR_TEST_TIMEOUT);
  }

  /** With the default scheduler interval. */
  public CoordinatorConfig(String host, int port, Path dataDir, String databaseUrl, String region, String accountId,
      int instances, long bodyLimit) {
    this(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit, DEFAULT_SCHEDULER_INTERVAL);
  }

  private static final Pattern ACCOUNT = Pattern.compile("[0-9]{12}");
  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]+");
  private static final Pattern STORAGE_ROOT =
      Pattern.compile("file:///.*|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*|\\?.*)?");

  public CoordinatorConfig {
    if (port < 0 || port > 65535) throw new IllegalArgumentException("--port " + port + ": expected 0..65535");
    if (!ACCOUNT.matcher(accountId).matches()) {
      throw new IllegalArgumentException("--account " + accountId + ": expected 12 digits");
    }
    if (!REGION.matcher(region).matches()) {
      throw new IllegalArgumentException("--region " + region + ": expected a region name such as us-east-1");
    }
    if (databaseUrl != null && !(databaseUrl.startsWith("postgresql://") || databaseUrl.startsWith("postgres://"))) {
      throw new IllegalArgumentException("--database " + databaseUrl + ": expected postgresql://user:password@host:port/database");
    }
    if (instances < 1) throw new IllegalArgumentException("--instances " + instances + ": expected at least 1");
    if (bodyLimit < 1024) throw new IllegalArgumentException("body limit " + bodyLimit + ": expected at least 1024 bytes");
    if (audit == null) audit = AuditConfig.NONE;
    if (vaultGc == null) vaultGc = VaultGcSettings.NONE;
    if (schedulerInterval.isNegative()) {
      throw new IllegalArgumentException("scheduler interval " + schedulerInterval + ": expected zero (off) or more");
    }
    if (vaultStorageRoot == null) {
      vaultStorageRoot = dataDir.toAbsolutePath().toUri().toString().replaceFirst("^file:/+", "file:///")
          .replaceFirst("/$", "") + "/vaults";
    }
    if (!STORAGE_ROOT.matcher(vaultStorageRoot).matches()) {
      throw new IllegalArgumentException("--vault-storage-root " + vaultStorageRoot
          + ": expected file:///DIR or s3://BUCKET[/PREFIX][?endpoint=URL&region=REGION]");
    }
    regionStorage = regionStorage == null ? Map.of() : Map.copyOf(regionStorage);
    for (Map.Entry<String, String> e : regionStorage.entrySet()) {
      if (!REGION.matcher(e.getKey()).matches() || !STORAGE_ROOT.matcher(e.getValue()).matches()) {
        throw new IllegalArgumentException("--region-storage " + e.getKey() + "=" + e.getValue()
            + ": expected REGION=file:///DIR or REGION=s3://BUCKET[/PREFIX][?endpoint=URL&region=REGION]");
      }
      if (e.getKey().equals(region)) {
        throw new IllegalArgumentException("--region-storage " + e.getKey() + "=" + e.getValue()
            + ": that is this coordinator's own region, whose storage is --vault-storage-root");
      }
    }
    if (masterKeyFile == null) masterKeyFile = dataDir.resolve("master.key");
    if (hypervisorTestTimeout == null || hypervisorTestTimeout.isNegative() || hypervisorTestTimeout.isZero()) {
      throw new IllegalArgumentException("hypervisor test timeout " + hypervisorTestTimeout + ": expected more than zero");
    }
  }

  /**
   * Loopback, embedded database, one verticle, no scheduler timer (tests tick it), a short
   * TestHypervisorConfiguration wait: what tests use.
   */
  public static CoordinatorConfig forTests(Path dataDir) {
    return new CoordinatorConfig("127.0.0.1", 0, dataDir, null, "us-east-1", "000000000000", 1, 1024 * 1024,
        Duration.ZERO).withHypervisorTestTimeout(TEST_HYPERVISOR_TEST_TIMEOUT);
  }

  /** What TestHypervisorConfiguration waits in tests: long enough for a gateway that heartbeats quickly. */
  public static final Duration TEST_HYPERVISOR_TEST_TIMEOUT = Duration.ofSeconds(4);

  /** The same settings with another scheduler interval. */
  public CoordinatorConfig withSchedulerInterval(Duration interval) {
    return new CoordinatorConfig(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit, interval,
        vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, audit, regionStorage, tls, vaultGc);
  }

  /** The same settings with these audit digest settings. */
  public CoordinatorConfig withAudit(AuditConfig audit) {
    return new CoordinatorConfig(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit,
        schedulerInterval, vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, audit, regionStorage, tls, vaultGc);
  }

  /** The same settings on another database ({@code postgresql://} URL; null: the embedded one). */
  public CoordinatorConfig withDatabase(String url) {
    return new CoordinatorConfig(host, port, dataDir, url, region, accountId, instances, bodyLimit,
        schedulerInterval, vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, audit, regionStorage, tls, vaultGc);
  }

  /** The same settings with another vault storage root and master key file (null: the defaults). */
  public CoordinatorConfig withStorage(String vaultStorageRoot, Path masterKeyFile) {
    return new CoordinatorConfig(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit,
        schedulerInterval, vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, audit, regionStorage, tls, vaultGc);
  }

  /** The same settings with another TestHypervisorConfiguration wait. */
  public CoordinatorConfig withHypervisorTestTimeout(Duration timeout) {
    return new CoordinatorConfig(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit,
        schedulerInterval, vaultStorageRoot, masterKeyFile, timeout, audit, regionStorage, tls, vaultGc);
  }

  /** The same settings with these other regions' vault storage roots (region name to URL). */
  public CoordinatorConfig withRegionStorage(Map<String, String> regions) {
    return new CoordinatorConfig(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit,
        schedulerInterval, vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, audit, regions, tls, vaultGc);
  }

  /** The same settings served over HTTPS with this certificate (null: plain HTTP). */
  public CoordinatorConfig withTls(ApiTls tls) {
    return new CoordinatorConfig(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit,
        schedulerInterval, vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, audit, regionStorage, tls, vaultGc);
  }

  /** The same settings with this vault gc (a vault master key, an interval). */
  public CoordinatorConfig withVaultGc(VaultGcSettings vaultGc) {
    return new CoordinatorConfig(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit,
        schedulerInterval, vaultStorageRoot, masterKeyFile, hypervisorTestTimeout, audit, regionStorage, tls, vaultGc);
  }

  public Path adminCredentialsFile() {
    return dataDir.resolve("admin-credentials");
  }
}
