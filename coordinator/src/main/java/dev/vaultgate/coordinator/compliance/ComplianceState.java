package dev.vaultgate.coordinator.compliance;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the controls look at, as plain records read from the coordinator's tables (no Vert.x, no
 * SQL): so each control is a pure function, tested directly.
 *
 * @param now           the time the evaluation runs at (ages are counted back from it)
 * @param region        the coordinator's region (a point elsewhere is a cross-region copy)
 * @param accountId     the account evaluated (a point in another account is a cross-account copy)
 * @param resources     the protectable resources of the account (inventory and backed-up resources)
 * @param plans         backup plans with their rules
 * @param coveredBy     resource ARN -> ids of the plans whose selections choose it
 * @param vaults        the account's vaults
 * @param points        recovery points of the account's resources (copies in other regions or
 *                      accounts included)
 * @param restores      completed restore jobs
 */
public record ComplianceState(Instant now, String region, String accountId, List<Resource> resources,
    List<Plan> plans, Map<String, List<String>> coveredBy, List<Vault> vaults, List<Point> points,
    List<Restore> restores) {

  public record Resource(String arn, String type, Map<String, String> tags) {}

  /** A plan rule's schedule as the interval between two runs ({@code null}: no schedule). */
  public record Rule(String name, Duration interval, Long deleteAfterDays) {}

  public record Plan(String planId, String arn, String name, List<Rule> rules) {}

  /**
   * A vault and its protection: lock limits ({@code null} when unlocked or unset) and whether its
   * access policy denies DeleteRecoveryPoint.
   */
  public record Vault(String name, String arn, boolean locked, Long lockMinRetentionDays,
      Long lockMaxRetentionDays, boolean manualDeletionDenied) {}

  /** A recovery point: its vault's region and account tell copies apart. */
  public record Point(String arn, String resourceArn, String vaultName, String region, String accountId,
      Instant createdAt, boolean encrypted, Long deleteAfterDays, String status) {}

  public record Restore(String restoreJobId, String resourceArn, Instant createdAt, Instant completedAt) {}
}
