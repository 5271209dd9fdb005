package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;

/** Backup jobs in PostgreSQL (table {@code backup_jobs}). */
public final class PgBackupJobStore implements BackupJobStore {

  /**
   * The columns every SELECT reads, in this order: {@link #job(Row)} reads them by position (a
   * lookup by name is a linear search per column per row), so keep the two in step.
   */
  private static final String[] COLUMN_NAMES = {
      "job_id", "account_id", "vault_name", "vault_arn", "recovery_point_arn", "resource_arn", "resource_type",
      "iam_role_arn", "state", "status_message", "percent_done", "backup_size_bytes", "bytes_transferred",
      "created_at", "start_by", "complete_window_minutes", "complete_by", "completed_at", "lifecycle",
      "recovery_point_tags", "backup_options", "created_by", "idempotency_token"};

  static final String COLUMNS = String.join(", ", COLUMN_NAMES);

  /** {@link #COLUMNS} qualified with a table alias ({@code "b"} gives {@code b.job_id, ...}). */
  static String columns(String alias) {
    return alias + "." + String.join(", " + alias + ".", COLUMN_NAMES);
  }

  static final String INSERT =
      "INSERT INTO backup_jobs (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
          + " $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
          + " ON CONFLICT (account_id, idempotency_token) WHERE idempotency_token IS NOT NULL DO NOTHING"
          + " RETURNING job_id";
  static final String FIND_BY_TOKEN =
      "SELECT " + COLUMNS + " FROM backup_jobs WHERE account_id = $1 AND idempotency_token = $2";
  static final String FIND = "SELECT " + COLUMNS + " FROM backup_jobs WHERE account_id = $1 AND job_id = $2";
  static final String LOCK = FIND + " FOR UPDATE";
  static final String SET_STATE =
      "UPDATE backup_jobs SET state = $2, status_message = $3, completed_at = $4 WHERE job_id = $1";

  /** ListBackupJobs: the base query and one fragment per filter (see {@link KeysetQuery}). */
  static final String LIST = "SELECT " + COLUMNS + " FROM backup_jobs WHERE account_id = $1";
  static final String BY_RESOURCE_ARN = " AND resource_arn = $";
  static final String BY_STATE = " AND state = $";
  static final String BY_VAULT = " AND vault_name = $";
  static final String BY_CREATED_BEFORE = " AND created_at < $";
  static final String BY_CREATED_AFTER = " AND created_at > $";
  static final String BY_RESOURCE_TYPE = " AND resource_type = $";
  static final String BY_COMPLETE_AFTER = " AND completed_at > $";
  static final String BY_COMPLETE_BEFORE = " AND completed_at < $";

  private final Pool pool;

  public PgBackupJobStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<BackupJob> create(BackupJob j) {
    Tuple args = Tuple.tuple()
        .addValue(j.jobId()).addValue(j.accountId()).addValue(j.vaultName()).addValue(j.vaultArn())
        .addValue(j.recoveryPointArn()).addValue(j.resourceArn()).addValue(j.resourceType())
        .addValue(j.iamRoleArn()).addValue(j.state()).addValue(j.statusMessage()).addValue(j.percentDone())
        .addValue(j.backupSizeBytes()).addValue(j.bytesTransferred()).addValue(Times.db(j.createdAt()))
        .addValue(Times.db(j.startBy())).addValue(j.completeWindowMinutes()).addValue(Times.db(j.completeBy())).addValue(Times.db(j.completedAt()))
        .addValue(j.lifecycle()).addValue(j.recoveryPointTags()).addValue(j.backupOptions())
        .addValue(j.createdBy()).addValue(j.idempotencyToken());
    return pool.preparedQuery(INSERT).execute(args).compose(rows -> {
      if (rows.size() > 0) return Future.succeededFuture(j);
      return pool.preparedQuery(FIND_BY_TOKEN).execute(Tuple.of(j.accountId(), j.idempotencyToken()))
          .map(found -> job(found.iterator().next()));
    });
  }

  @Override
  public Future<BackupJob> find(String accountId, String jobId) {
    return pool.preparedQuery(FIND).execute(Tuple.of(accountId, jobId))
        .map(rows -> rows.size() == 0 ? null : job(rows.iterator().next()));
  }

  @Override
  public Future<Page<BackupJob>> list(String accountId, BackupJob.Filter f, String nextToken, int limit) {
    KeysetQuery q = new KeysetQuery(LIST, accountId);
    q.filter(BY_RESOURCE_ARN, f.resourceArn());
    q.filter(BY_STATE, f.state());
    q.filter(BY_VAULT, f.vaultName());
    q.filter(BY_CREATED_BEFORE, Times.db(f.createdBefore()));
    q.filter(BY_CREATED_AFTER, Times.db(f.createdAfter()));
    q.filter(BY_RESOURCE_TYPE, f.resourceType());
    q.filter(BY_COMPLETE_AFTER, Times.db(f.completeAfter()));
    q.filter(BY_COMPLETE_BEFORE, Times.db(f.completeBefore()));
    return q.newestFirst(pool, "job_id", nextToken, limit, PgBackupJobStore::job, BackupJob::createdAt, BackupJob::jobId);
  }

  @Override
  public Future<BackupJob> stop(String accountId, String jobId, Instant now) {
    return pool.withTransaction(conn ->
        conn.preparedQuery(LOCK).execute(Tuple.of(accountId, jobId)).compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(null);
          BackupJob job = job(rows.iterator().next());
          String state;
          Instant completedAt = null;
          switch (job.state()) {
            case "CREATED", "PENDING" -> {
              state = "ABORTED";
              completedAt = now;
            }
            case "RUNNING" -> state = "ABORTING";
            default -> throw ApiException.invalidRequest(
                "Backup job " + jobId + " is " + job.state() + " and can no longer be stopped");
          }
          String message = "Stopped by a StopBackupJob request";
          Instant completed = completedAt;
          return conn.preparedQuery(SET_STATE).execute(Tuple.of(jobId, state, message, Times.db(completed)))
              .map(r -> withState(job, state, message, completed));
        }));
  }

  private static BackupJob withState(BackupJob j, String state, String message, Instant completedAt) {
    return new BackupJob(j.jobId(), j.accountId(), j.vaultName(), j.vaultArn(), j.recoveryPointArn(),
        j.resourceArn(), j.resourceType(), j.iamRoleArn(), state, message, j.percentDone(),
        j.backupSizeBytes(), j.bytesTransferred(), j.createdAt(), j.startBy(), j.completeWindowMinutes(),
        j.completeBy(), completedAt,
        j.lifecycle(), j.recoveryPointTags(), j.backupOptions(), j.createdBy(), j.idempotencyToken());
  }

  /** Maps a row whose first columns are {@link #COLUMNS}, in that order (read by position). */
  static BackupJob job(Row row) {
    return new BackupJob(
        row.getString(0), // job_id
        row.getString(1), // account_id
        row.getString(2), // vault_name
        row.getString(3), // vault_arn
        row.getString(4), // recovery_point_arn
        row.getString(5), // resource_arn
        row.getString(6), // resource_type
        row.getString(7), // iam_role_arn
        row.getString(8), // state
        row.getString(9), // status_message
        row.getString(10), // percent_done
        row.getLong(11), // backup_size_bytes
        row.getLong(12), // bytes_transferred
        Times.instant(row.getOffsetDateTime(13)), // created_at
        Times.instant(row.getOffsetDateTime(14)), // start_by
        row.getLong(15), // complete_window_minutes
        Times.instant(row.getOffsetDateTime(16)), // complete_by
        Times.instant(row.getOffsetDateTime(17)), // completed_at
        (JsonObject) row.getValue(18), // lifecycle
        (JsonObject) row.getValue(19), // recovery_point_tags
        (JsonObject) row.getValue(20), // backup_options
        (JsonObject) row.getValue(21), // created_by
        row.getString(22)); // idempotency_token
  }
}
