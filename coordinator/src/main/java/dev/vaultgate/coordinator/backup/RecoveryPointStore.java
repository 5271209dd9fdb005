package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.LegalHoldScope;
import dev.vaultgate.coordinator.rules.VaultLock;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Recovery points, per account, and the completion of the backup jobs that make them. */
public interface RecoveryPointStore {

  /** What a deletion is checked against, read under the point's row lock. */
  record DeletionContext(RecoveryPoint point, VaultLock lock, String accessPolicy, List<LegalHoldScope> activeHolds) {}

  /** Checks a deletion; throws to refuse it. */
  @FunctionalInterface
  interface DeletionCheck {
    void check(DeletionContext context);
  }

  /** Checks a lifecycle change of a point under its vault's lock (null when none); throws to refuse it. */
  @FunctionalInterface
  interface LifecycleCheck {
    void check(RecoveryPoint point, VaultLock lock);
  }

  /**
   * Completes a backup job that a gateway reports done and registers its recovery point, with
   * the job's lifecycle. When the vault's lock refuses that retention, or the vault no longer
   * exists, the job FAILS instead and the result is null. Called by the agent API; the job must
   * not have ended. A job made by a plan rule with CopyActions gets its copy jobs in the same
   * transaction (see {@link RuleCopies}).
   */
  default Future<RecoveryPoint> completeBackup(
      String accountId, String jobId, long sizeBytes, Map<String, String> restoreMetadata, Instant now) {
    return completeBackup(accountId, jobId, sizeBytes, restoreMetadata, now, (job, leaseOwner) -> { });
  }

  /** Checks a completion under the job's row lock (the job and its lease owner, or null); throws to refuse it. */
  @FunctionalInterface
  interface CompletionCheck {
    void check(BackupJob job, String leaseOwner);
  }

  /**
   * As {@link #completeBackup(String, String, long, Map, Instant)}, after {@code check} accepts
   * the job under its row lock (the agent API checks that the gateway holds the lease). The
   * job's lease ends with it.
   */
  Future<RecoveryPoint> completeBackup(String accountId, String jobId, long sizeBytes,
      Map<String, String> restoreMetadata, Instant now, CompletionCheck check);

  Future<RecoveryPoint> find(String accountId, String vaultName, String arn);

  /** The point with this ARN in any vault of the account, or a null result. */
  Future<RecoveryPoint> findByArn(String accountId, String arn);

  Future<Page<RecoveryPoint>> listByVault(
      String accountId, String vaultName, RecoveryPoint.Filter filter, String nextToken, int limit);

  Future<Page<RecoveryPoint>> listByResource(String accountId, String resourceArn, String nextToken, int limit);

  /** Points that an active hold's scope matches, newest first. */
  Future<Page<RecoveryPoint>> listByScope(String accountId, LegalHoldScope scope, String nextToken, int limit);

  /** A resource that has recovery points, and its latest one. */
  record ProtectedResource(String resourceArn, String resourceType, Instant lastBackupTime, String lastVaultArn,
      String lastRecoveryPointArn) {}

  /** Resources with at least one recovery point, by ARN. */
  Future<Page<ProtectedResource>> protectedResources(String accountId, String nextToken, int limit);

  /** The resource's latest point, or a null result when it has none. */
  Future<ProtectedResource> protectedResource(String accountId, String resourceArn);

  /** Sets a new lifecycle under the row lock; a null result when there is no such point. */
  Future<RecoveryPoint> updateLifecycle(
      String accountId, String vaultName, String arn, JsonObject lifecycle, LifecycleCheck check);

  /** Deletes the point when {@code check} allows; false when there is no such point. */
  Future<Boolean> delete(String accountId, String vaultName, String arn, DeletionCheck check);
}
