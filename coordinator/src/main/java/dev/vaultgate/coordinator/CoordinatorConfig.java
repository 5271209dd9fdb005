package dev.vaultgate.coordinator;

import dev.vaultgate.coordinator.audit.AuditConfig;
import java.nio.file.Path;
import java.time.Duration;
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
 * @param audit where and how often the activity log's signed digests are written
 */
public record CoordinatorConfig(
    String host, int port, Path dataDir, String databaseUrl, String region, String accountId, int instances,
    long bodyLimit, Duration schedulerInterval, AuditConfig audit) {

  /** Without audit digests. */
  public CoordinatorConfig(String host, int port, Path dataDir, String databaseUrl, String region, String accountId,
      int instances, long bodyLimit, Duration schedulerInterval) {
    this(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit, schedulerInterval, AuditConfig.NONE);
  }

  public static final Duration DEFAULT_SCHEDULER_INTERVAL = Duration.ofSeconds(10);

  /** With the default scheduler interval. */
  public CoordinatorConfig(String host, int port, Path dataDir, String databaseUrl, String region, String accountId,
      int instances, long bodyLimit) {
    this(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit, DEFAULT_SCHEDULER_INTERVAL);
  }

  private static final Pattern ACCOUNT = Pattern.compile("[0-9]{12}");
  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]+");

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
    if (schedulerInterval.isNegative()) {
      throw new IllegalArgumentException("scheduler interval " + schedulerInterval + ": expected zero (off) or more");
    }
  }

  /** Loopback, embedded database, one verticle, no scheduler timer (tests tick it): what tests use. */
  public static CoordinatorConfig forTests(Path dataDir) {
    return new CoordinatorConfig("127.0.0.1", 0, dataDir, null, "us-east-1", "000000000000", 1, 1024 * 1024,
        Duration.ZERO);
  }

  /** The same settings with another scheduler interval. */
  public CoordinatorConfig withSchedulerInterval(Duration interval) {
    return new CoordinatorConfig(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit, interval,
        audit);
  }

  /** The same settings with these audit digest settings. */
  public CoordinatorConfig withAudit(AuditConfig audit) {
    return new CoordinatorConfig(host, port, dataDir, databaseUrl, region, accountId, instances, bodyLimit,
        schedulerInterval, audit);
  }

  public Path adminCredentialsFile() {
    return dataDir.resolve("admin-credentials");
  }
}
