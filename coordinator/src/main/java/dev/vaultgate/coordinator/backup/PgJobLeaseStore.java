package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;

/** Job leases in PostgreSQL: columns {@code lease_owner}, {@code lease_expires_at} of {@code backup_jobs}. */
public final class PgJobLeaseStore implements JobLeaseStore {

  /**
   * The oldest waiting job within its start window whose resource no other gateway reported,
   * locked skipping rows other transactions hold, then marked RUNNING under the lease. The
   * completion window counts from the first start.
   */
  static final String LEASE =
      "WITH next AS ("
          + " SELECT j.job_id FROM backup_jobs j"
          + " WHERE j.account_id = $1 AND j.state IN ('CREATED', 'PENDING') AND j.start_by > $2"
          + " AND NOT EXISTS (SELECT 1 FROM inventory i"
          + "   WHERE i.account_id = j.account_id AND i.resource_arn = j.resource_arn AND i.gateway_id <> $3)"
          + " ORDER BY j.created_at, j.job_id LIMIT 1 FOR UPDATE SKIP LOCKED)"
          + " UPDATE backup_jobs b SET state = 'RUNNING', status_message = NULL, lease_owner = $3,"
          + " lease_expires_at = $4, started_at = COALESCE(b.started_at, $2),"
          + " complete_by = COALESCE(b.complete_by, $2 + b.complete_window_minutes * interval '1 minute')"
          + " FROM next WHERE b.job_id = next.job_id RETURNING " + PgBackupJobStore.columns("b");
  static final String LOCK =
      "SELECT " + PgBackupJobStore.COLUMNS + ", lease_owner, lease_expires_at FROM backup_jobs"
          + " WHERE account_id = $1 AND job_id = $2 FOR UPDATE";
  static final String PROGRESS =
      "UPDATE backup_jobs SET percent_done = COALESCE($2, percent_done),"
          + " bytes_transferred = COALESCE($3, bytes_transferred), lease_expires_at = $4 WHERE job_id = $1";
  static final String END =
      "UPDATE backup_jobs SET state = $2, status_message = $3, completed_at = $4, lease_owner = NULL,"
          + " lease_expires_at = NULL WHERE job_id = $1";

  /** Sweep, in this order: late jobs, then expired leases that may run again, the rest, unstarted jobs. */
  static final String ABORT_LATE =
      "UPDATE backup_jobs SET state = 'ABORTED', completed_at = $1, lease_owner = NULL, lease_expires_at = NULL,"
          + " status_message = 'The job did not complete within its completion window ('"
          + " || complete_window_minutes || ' minutes)'"
          + " WHERE state IN ('RUNNING', 'ABORTING') AND complete_by <= $1";
  static final String REQUEUE =
      "UPDATE backup_jobs SET state = 'PENDING', lease_owner = NULL, lease_expires_at = NULL,"
          + " status_message = 'The lease of gateway ' || lease_owner || ' expired; the job waits for a gateway again'"
          + " WHERE state = 'RUNNING' AND lease_expires_at <= $1 AND start_by > $1";
  static final String FAIL_LOST =
      "UPDATE backup_jobs SET state = CASE WHEN state = 'ABORTING' THEN 'ABORTED' ELSE 'FAILED' END,"
          + " completed_at = $1, lease_owner = NULL, lease_expires_at = NULL,"
          + " status_message = 'The lease of gateway ' || lease_owner || ' expired after the start window closed'"
          + " WHERE state IN ('RUNNING', 'ABORTING') AND lease_expires_at <= $1";
  static final String EXPIRE =
      "UPDATE backup_jobs SET state = 'EXPIRED', completed_at = $1,"
          + " status_message = 'No gateway started the job before its start window closed at '"
          + " || to_char(start_by AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
          + " WHERE state IN ('CREATED', 'PENDING') AND start_by <= $1";

  private final Pool pool;

  public PgJobLeaseStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<Lease> lease(String accountId, String gatewayId, Instant now, Duration leaseFor) {
    Instant at = Times.micros(now);
    Instant expires = at.plus(leaseFor);
    return pool.preparedQuery(LEASE).execute(Tuple.of(accountId, Times.db(at), gatewayId, Times.db(expires)))
        .map(rows -> rows.size() == 0 ? null
            : new Lease(PgBackupJobStore.job(rows.iterator().next()), gatewayId, expires));
  }

  @Override
  public Future<Lease> progress(String accountId, String gatewayId, String jobId, String percentDone,
      Long bytesTransferred, Instant now, Duration leaseFor) {
    Instant expires = Times.micros(now).plus(leaseFor);
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(accountId, jobId)).compose(rows -> {
      if (rows.size() == 0) throw JobOperations.notFound(jobId);
      Row row = rows.iterator().next();
      BackupJob job = PgBackupJobStore.job(row);
      JobLeaseStore.checkHolder(job, row.getString("lease_owner"), gatewayId, now);
      return conn.preparedQuery(PROGRESS).execute(Tuple.of(jobId, percentDone, bytesTransferred, Times.db(expires)))
          .map(r -> new Lease(with(job, job.state(), job.statusMessage(),
              percentDone == null ? job.percentDone() : percentDone,
              bytesTransferred == null ? job.bytesTransferred() : bytesTransferred, null), gatewayId, expires));
    }));
  }

  @Override
  public Future<BackupJob> fail(String accountId, String gatewayId, String jobId, String message, Instant now) {
    Instant at = Times.micros(now);
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(accountId, jobId)).compose(rows -> {
      if (rows.size() == 0) throw JobOperations.notFound(jobId);
      Row row = rows.iterator().next();
      BackupJob job = PgBackupJobStore.job(row);
      // a holder may report failure even past the completion window: the outcome is the same
      JobLeaseStore.checkHolder(job, row.getString("lease_owner"), gatewayId, Instant.MIN);
      String state = job.state().equals("ABORTING") ? "ABORTED" : "FAILED";
      return conn.preparedQuery(END).execute(Tuple.of(jobId, state, message, Times.db(at)))
          .map(r -> with(job, state, message, job.percentDone(), job.bytesTransferred(), at));
    }));
  }

  @Override
  public Future<Sweep> sweep(Instant now) {
    Tuple at = Tuple.of(Times.db(Times.micros(now)));
    return pool.preparedQuery(ABORT_LATE).execute(at).compose(aborted ->
        pool.preparedQuery(REQUEUE).execute(at).compose(requeued ->
            pool.preparedQuery(FAIL_LOST).execute(at).compose(failed ->
                pool.preparedQuery(EXPIRE).execute(at).map(expired ->
                    new Sweep(requeued.rowCount(), failed.rowCount(), expired.rowCount(), aborted.rowCount())))));
  }

  private static BackupJob with(BackupJob j, String state, String message, String percentDone, Long bytes,
      Instant completedAt) {
    return new BackupJob(j.jobId(), j.accountId(), j.vaultName(), j.vaultArn(), j.recoveryPointArn(),
        j.resourceArn(), j.resourceType(), j.iamRoleArn(), state, message, percentDone, j.backupSizeBytes(), bytes,
        j.createdAt(), j.startBy(), j.completeWindowMinutes(), j.completeBy(), completedAt, j.lifecycle(),
        j.recoveryPointTags(), j.backupOptions(), j.createdBy(), j.idempotencyToken());
  }
}
