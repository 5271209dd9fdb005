package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.LifecycleRules;
import dev.vaultgate.coordinator.rules.RuleViolation;
import dev.vaultgate.coordinator.rules.VaultLock;
import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Copy and restore jobs as gateways work them, like backup jobs ({@link PgJobLeaseStore}): lease
 * the account's oldest waiting job with {@code FOR UPDATE SKIP LOCKED} (a copy job waits CREATED,
 * a restore job PENDING; both become RUNNING), report progress (which renews the lease), complete
 * or fail it. Neither has a start or completion window: the sweep puts a job whose lease expired
 * back to waiting, up to {@link #MAX_ATTEMPTS} leases, and FAILS it after that.
 *
 * <p>Copies into a vault of any account or region are leased to the source account's gateways
 * (the destination point is registered here, in the destination vault's account); a gateway
 * leases only jobs whose resource it reported or no gateway reported. Completing a copy registers
 * the destination recovery point with the copy's lifecycle, checked against the destination
 * vault's lock (the copy FAILS when the lock refuses it, as a backup does).
 */
public final class PgCopyAndRestoreLeases {

  /** How many leases a copy or restore job gets before an expired one fails it. */
  public static final int MAX_ATTEMPTS = 3;

  /** A job leased to a gateway until {@code expiresAt}. */
  public record Lease<J>(J job, String gatewayId, Instant expiresAt) {}

  /** How a copy ended: the job, and when COMPLETED its destination point and that vault's lock (or null). */
  public record CopyCompletion(CopyJob job, RecoveryPoint point, VaultLock lock) {}

  /** What one sweep changed. */
  public record Sweep(int requeued, int failed) {
    public int total() {
      return requeued + failed;
    }
  }

  /** One kind of job: its table, state column, waiting state, the column naming its resource. */
  private record Kind<J>(String name, String table, String state, String waiting, String resource,
      Function<Row, J> mapper) {

    String lease(String extra) {
      return "WITH next AS (SELECT j.job_id FROM " + table + " j"
          + " WHERE j.account_id = $1 AND j." + state + " = '" + waiting + "'" + extra
          + " AND NOT EXISTS (SELECT 1 FROM inventory i WHERE i.account_id = j.account_id"
          + "   AND i.resource_arn = j." + resource + " AND i.gateway_id <> $3)"
          + " ORDER BY j.created_at, j.job_id LIMIT 1 FOR UPDATE SKIP LOCKED)"
          + " UPDATE " + table + " x SET " + state + " = 'RUNNING', status_message = NULL, lease_owner = $3,"
          + " lease_expires_at = $4, attempts = x.attempts + 1, started_at = COALESCE(x.started_at, $2)"
          + " FROM next WHERE x.job_id = next.job_id RETURNING x.*";
    }

    String lock() {
      return "SELECT * FROM " + table + " WHERE account_id = $1 AND job_id = $2 FOR UPDATE";
    }

    String progress() {
      return "UPDATE " + table + " SET percent_done = COALESCE($2, percent_done), lease_expires_at = $3"
          + " WHERE job_id = $1 RETURNING *";
    }

    String end() {
      return "UPDATE " + table + " SET " + state + " = $2, status_message = $3, completed_at = $4, lease_owner = NULL,"
          + " lease_expires_at = NULL WHERE job_id = $1 RETURNING *";
    }

    String requeue() {
      return "UPDATE " + table + " SET " + state + " = '" + waiting + "', lease_owner = NULL, lease_expires_at = NULL,"
          + " status_message = 'The lease of gateway ' || lease_owner || ' expired; the job waits for a gateway again'"
          + " WHERE " + state + " = 'RUNNING' AND lease_expires_at <= $1 AND attempts < $2";
    }

    String failLost() {
      return "UPDATE " + table + " SET " + state + " = 'FAILED', completed_at = $1, lease_owner = NULL,"
          + " lease_expires_at = NULL, status_message = 'The lease of gateway ' || lease_owner || ' expired after '"
          + " || attempts || ' leases: the job is given up' WHERE " + state + " = 'RUNNING' AND lease_expires_at <= $1";
    }
  }

  private static final Kind<CopyJob> COPY =
      new Kind<>("Copy job", "copy_jobs", "state", "CREATED", "resource_arn", PgCopyJobStore::job);
  private static final Kind<RestoreJob> RESTORE =
      new Kind<>("Restore job", "restore_jobs", "status", "PENDING", "source_resource_arn", PgRestoreJobStore::job);

  /**
   * Copies into any account's and region's vault: the source account's gateway does the copy, and
   * the destination was checked when the job was made ({@link CopyDestinations}).
   */
  static final String LEASE_COPY = COPY.lease("");
  static final String LEASE_RESTORE = RESTORE.lease("");
  /** A gateway that restores only some kinds of resource (one without vCenter: its local volumes) leases only those. */
  static final String LEASE_RESTORE_OF_TYPES = RESTORE.lease(" AND j.resource_type = ANY($5)");
  static final String SOURCE_METADATA =
      "SELECT restore_metadata FROM recovery_points WHERE account_id = $1 AND recovery_point_arn = $2";
  static final String FINISH_COPY =
      "UPDATE copy_jobs SET state = 'COMPLETED', status_message = NULL, completed_at = $2, backup_size_bytes = $3,"
          + " percent_done = '100.0', lease_owner = NULL, lease_expires_at = NULL WHERE job_id = $1 RETURNING *";
  static final String FINISH_RESTORE =
      "UPDATE restore_jobs SET status = 'COMPLETED', status_message = NULL, completed_at = $2,"
          + " created_resource_arn = $3, percent_done = '100.0', lease_owner = NULL, lease_expires_at = NULL"
          + " WHERE job_id = $1 RETURNING *";

  private final Pool pool;

  public PgCopyAndRestoreLeases(Pool pool) {
    this.pool = pool;
  }

  // ---- copy jobs

  public Future<Lease<CopyJob>> leaseCopy(String accountId, String gatewayId, Instant now, Duration leaseFor) {
    return lease(COPY, LEASE_COPY, accountId, gatewayId, now, leaseFor);
  }

  public Future<Lease<CopyJob>> progressCopy(String accountId, String gatewayId, String jobId, String percentDone,
      Instant now, Duration leaseFor) {
    return progress(COPY, accountId, gatewayId, jobId, percentDone, now, leaseFor);
  }

  public Future<CopyJob> failCopy(String accountId, String gatewayId, String jobId, String message, Instant now) {
    return fail(COPY, accountId, gatewayId, jobId, message, now);
  }

  /**
   * Completes a copy the gateway holds: registers the destination recovery point (the copy's
   * lifecycle counts from now; restore metadata from the gateway, else the source point's), or
   * FAILS the copy when the destination vault is gone or its lock refuses the retention.
   */
  public Future<CopyCompletion> completeCopy(String accountId, String gatewayId, String jobId, long sizeBytes,
      Map<String, String> restoreMetadata, Instant now) {
    Instant at = Times.micros(now);
    return held(COPY, accountId, gatewayId, jobId, (conn, job) -> {
      String[] d = job.destinationVaultArn().split(":", 7);
      String vaultName = d[6];
      String destinationAccount = d[4];
      return conn.preparedQuery(PgRecoveryPointStore.VAULT_LOCK).execute(Tuple.of(destinationAccount, vaultName))
          .compose(vaults -> {
            if (vaults.size() == 0 || !job.destinationVaultArn().equals(vaults.iterator().next().getString("arn"))) {
              return end(conn, COPY, job, "FAILED", "Destination backup vault " + vaultName + " no longer exists", at)
                  .map(j -> new CopyCompletion(j, null, null));
            }
            VaultLock lock = PgVaultStore.lock(vaults.iterator().next());
            JsonObject lifecycle = job.lifecycle();
            Long coldDays = lifecycle == null ? null : lifecycle.getLong("MoveToColdStorageAfterDays");
            Long deleteDays = lifecycle == null ? null : lifecycle.getLong("DeleteAfterDays");
            try {
              if (lock != null) lock.checkRetention(deleteDays);
            } catch (RuleViolation v) {
              return end(conn, COPY, job, "FAILED", "Destination backup vault " + vaultName + ": " + v.getMessage(), at)
                  .map(j -> new CopyCompletion(j, null, null));
            }
            return conn.preparedQuery(SOURCE_METADATA).execute(Tuple.of(accountId, job.sourceRecoveryPointArn()))
                .compose(source -> {
                  JsonObject metadata = new JsonObject(new LinkedHashMap<>(restoreMetadata));
                  if (metadata.isEmpty() && source.size() > 0 && source.iterator().next().getValue(0) != null) {
                    metadata = (JsonObject) source.iterator().next().getValue(0);
                  }
                  RecoveryPoint point = new RecoveryPoint(job.destinationRecoveryPointArn(), destinationAccount, vaultName,
                      job.destinationVaultArn(), job.resourceArn(), job.resourceType(), null, job.iamRoleArn(),
                      "COMPLETED", null, "WARM", sizeBytes, at, at, lifecycle, LifecycleRules.coldAt(at, coldDays),
                      LifecycleRules.deleteAt(at, deleteDays), job.createdBy(), metadata);
                  return PgRecoveryPointStore.insert(conn, point)
                      .compose(x -> conn.preparedQuery(FINISH_COPY).execute(Tuple.of(jobId, Times.db(at), sizeBytes)))
                      .map(rows -> new CopyCompletion(PgCopyJobStore.job(rows.iterator().next()), point, lock));
                });
          });
    });
  }

  // ---- restore jobs

  public Future<Lease<RestoreJob>> leaseRestore(String accountId, String gatewayId, Instant now, Duration leaseFor) {
    return lease(RESTORE, LEASE_RESTORE, accountId, gatewayId, now, leaseFor);
  }

  /** {@link #leaseRestore(String, String, Instant, Duration)} of a job whose resource type is one of {@code resourceTypes}. */
  public Future<Lease<RestoreJob>> leaseRestore(String accountId, String gatewayId, Instant now, Duration leaseFor,
      java.util.List<String> resourceTypes) {
    if (resourceTypes == null) return leaseRestore(accountId, gatewayId, now, leaseFor);
    Instant at = Times.micros(now);
    Instant expires = at.plus(leaseFor);
    return pool.preparedQuery(LEASE_RESTORE_OF_TYPES).execute(Tuple.of(accountId, Times.db(at), gatewayId, Times.db(expires),
            resourceTypes.toArray(new String[0])))
        .map(rows -> rows.size() == 0 ? null
            : new Lease<>(RESTORE.mapper().apply(rows.iterator().next()), gatewayId, expires));
  }

  public Future<Lease<RestoreJob>> progressRestore(String accountId, String gatewayId, String jobId,
      String percentDone, Instant now, Duration leaseFor) {
    return progress(RESTORE, accountId, gatewayId, jobId, percentDone, now, leaseFor);
  }

  public Future<RestoreJob> failRestore(String accountId, String gatewayId, String jobId, String message, Instant now) {
    return fail(RESTORE, accountId, gatewayId, jobId, message, now);
  }

  /** Completes a restore the gateway holds: COMPLETED with the resource it created. */
  public Future<RestoreJob> completeRestore(String accountId, String gatewayId, String jobId,
      String createdResourceArn, Instant now) {
    Instant at = Times.micros(now);
    return held(RESTORE, accountId, gatewayId, jobId, (conn, job) ->
        conn.preparedQuery(FINISH_RESTORE).execute(Tuple.of(jobId, Times.db(at), createdResourceArn))
            .map(rows -> PgRestoreJobStore.job(rows.iterator().next())));
  }

  // ---- both

  /** Puts jobs whose lease expired back to waiting, or FAILS those leased {@link #MAX_ATTEMPTS} times. */
  public Future<Sweep> sweep(Instant now) {
    Tuple requeueArgs = Tuple.of(Times.db(Times.micros(now)), MAX_ATTEMPTS);
    Tuple at = Tuple.of(Times.db(Times.micros(now)));
    return pool.preparedQuery(COPY.requeue()).execute(requeueArgs).compose(copiesBack ->
        pool.preparedQuery(COPY.failLost()).execute(at).compose(copiesFailed ->
            pool.preparedQuery(RESTORE.requeue()).execute(requeueArgs).compose(restoresBack ->
                pool.preparedQuery(RESTORE.failLost()).execute(at).map(restoresFailed -> new Sweep(
                    copiesBack.rowCount() + restoresBack.rowCount(),
                    copiesFailed.rowCount() + restoresFailed.rowCount())))));
  }

  private <J> Future<Lease<J>> lease(Kind<J> kind, String sql, String accountId, String gatewayId, Instant now,
      Duration leaseFor) {
    Instant at = Times.micros(now);
    Instant expires = at.plus(leaseFor);
    return pool.preparedQuery(sql).execute(Tuple.of(accountId, Times.db(at), gatewayId, Times.db(expires)))
        .map(rows -> rows.size() == 0 ? null : new Lease<>(kind.mapper().apply(rows.iterator().next()), gatewayId, expires));
  }

  private <J> Future<Lease<J>> progress(Kind<J> kind, String accountId, String gatewayId, String jobId,
      String percentDone, Instant now, Duration leaseFor) {
    Instant expires = Times.micros(now).plus(leaseFor);
    return held(kind, accountId, gatewayId, jobId, (conn, job) ->
        conn.preparedQuery(kind.progress()).execute(Tuple.of(jobId, percentDone, Times.db(expires)))
            .map(rows -> new Lease<>(kind.mapper().apply(rows.iterator().next()), gatewayId, expires)));
  }

  private <J> Future<J> fail(Kind<J> kind, String accountId, String gatewayId, String jobId, String message,
      Instant now) {
    return held(kind, accountId, gatewayId, jobId,
        (conn, job) -> end(conn, kind, job, "FAILED", message, Times.micros(now)));
  }

  private static <J> Future<J> end(SqlConnection conn, Kind<J> kind, Object job, String state, String message,
      Instant at) {
    String jobId = job instanceof CopyJob c ? c.jobId() : ((RestoreJob) job).jobId();
    return conn.preparedQuery(kind.end()).execute(Tuple.of(jobId, state, message, Times.db(at)))
        .map(rows -> kind.mapper().apply(rows.iterator().next()));
  }

  @FunctionalInterface
  private interface HeldWork<J, T> {
    Future<T> apply(SqlConnection conn, J job);
  }

  /** Runs {@code work} in a transaction, under the job's row lock, once the gateway is known to hold its lease. */
  private <J, T> Future<T> held(Kind<J> kind, String accountId, String gatewayId, String jobId,
      HeldWork<J, T> work) {
    return pool.withTransaction(conn -> conn.preparedQuery(kind.lock()).execute(Tuple.of(accountId, jobId))
        .compose(rows -> {
          if (rows.size() == 0) throw ApiException.notFound(kind.name() + " " + jobId + " does not exist");
          Row row = rows.iterator().next();
          String owner = row.getString("lease_owner");
          String state = row.getString(kind.state());
          if (!gatewayId.equals(owner) || !state.equals("RUNNING")) {
            throw new LeaseException(LeaseException.Reason.NOT_HELD, kind.name() + " " + jobId + " is " + state
                + (owner == null ? "" : " and leased to " + owner) + ": gateway " + gatewayId
                + " does not hold its lease");
          }
          return work.apply(conn, kind.mapper().apply(row));
        }));
  }
}
