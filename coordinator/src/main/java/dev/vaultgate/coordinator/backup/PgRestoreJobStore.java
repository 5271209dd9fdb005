package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

/** Restore jobs in PostgreSQL (table {@code restore_jobs}). */
public final class PgRestoreJobStore implements RestoreJobStore {

  static final String COLUMNS =
      "job_id, account_id, recovery_point_arn, vault_arn, source_resource_arn, resource_type, iam_role_arn,"
          + " status, status_message, percent_done, backup_size_bytes, metadata, created_resource_arn,"
          + " recovery_point_created_at, created_at, completed_at, idempotency_token";
  static final String INSERT = "INSERT INTO restore_jobs (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
      + " $9, $10, $11, $12, $13, $14, $15, $16, $17)"
      + " ON CONFLICT (account_id, idempotency_token) WHERE idempotency_token IS NOT NULL DO NOTHING RETURNING job_id";
  static final String FIND_BY_TOKEN =
      "SELECT " + COLUMNS + " FROM restore_jobs WHERE account_id = $1 AND idempotency_token = $2";
  static final String FIND = "SELECT " + COLUMNS + " FROM restore_jobs WHERE account_id = $1 AND job_id = $2";
  static final String LIST = "SELECT " + COLUMNS + " FROM restore_jobs WHERE account_id = $1";
  static final String BY_TYPE = " AND resource_type = $";
  static final String BY_STATUS = " AND status = $";
  static final String BY_CREATED_BEFORE = " AND created_at < $";
  static final String BY_CREATED_AFTER = " AND created_at > $";
  static final String BY_COMPLETE_BEFORE = " AND completed_at < $";
  static final String BY_COMPLETE_AFTER = " AND completed_at > $";

  private final Pool pool;

  public PgRestoreJobStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<RestoreJob> create(RestoreJob j) {
    Tuple args = Tuple.tuple().addValue(j.jobId()).addValue(j.accountId()).addValue(j.recoveryPointArn())
        .addValue(j.vaultArn()).addValue(j.sourceResourceArn()).addValue(j.resourceType()).addValue(j.iamRoleArn())
        .addValue(j.status()).addValue(j.statusMessage()).addValue(j.percentDone()).addValue(j.backupSizeBytes())
        .addValue(j.metadata()).addValue(j.createdResourceArn()).addValue(Times.db(j.recoveryPointCreatedAt()))
        .addValue(Times.db(j.createdAt())).addValue(Times.db(j.completedAt())).addValue(j.idempotencyToken());
    return pool.preparedQuery(INSERT).execute(args).compose(rows -> rows.size() > 0
        ? Future.succeededFuture(j)
        : pool.preparedQuery(FIND_BY_TOKEN).execute(Tuple.of(j.accountId(), j.idempotencyToken()))
            .map(found -> job(found.iterator().next())));
  }

  @Override
  public Future<RestoreJob> find(String accountId, String jobId) {
    return pool.preparedQuery(FIND).execute(Tuple.of(accountId, jobId))
        .map(rows -> rows.size() == 0 ? null : job(rows.iterator().next()));
  }

  @Override
  public Future<Page<RestoreJob>> list(String accountId, RestoreJob.Filter f, String nextToken, int limit) {
    KeysetQuery q = new KeysetQuery(LIST, accountId);
    q.filter(BY_TYPE, f.resourceType());
    q.filter(BY_STATUS, f.status());
    q.filter(BY_CREATED_BEFORE, Times.db(f.createdBefore()));
    q.filter(BY_CREATED_AFTER, Times.db(f.createdAfter()));
    q.filter(BY_COMPLETE_BEFORE, Times.db(f.completeBefore()));
    q.filter(BY_COMPLETE_AFTER, Times.db(f.completeAfter()));
    return q.newestFirst(pool, "job_id", nextToken, limit, PgRestoreJobStore::job, RestoreJob::createdAt, RestoreJob::jobId);
  }

  static RestoreJob job(Row row) {
    return new RestoreJob(
        row.getString("job_id"),
        row.getString("account_id"),
        row.getString("recovery_point_arn"),
        row.getString("vault_arn"),
        row.getString("source_resource_arn"),
        row.getString("resource_type"),
        row.getString("iam_role_arn"),
        row.getString("status"),
        row.getString("status_message"),
        row.getString("percent_done"),
        row.getLong("backup_size_bytes"),
        (JsonObject) row.getValue("metadata"),
        row.getString("created_resource_arn"),
        Times.instant(row.getOffsetDateTime("recovery_point_created_at")),
        Times.instant(row.getOffsetDateTime("created_at")),
        Times.instant(row.getOffsetDateTime("completed_at")),
        row.getString("idempotency_token"));
  }
}
