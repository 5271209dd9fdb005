package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

/** Copy jobs in PostgreSQL (table {@code copy_jobs}). */
public final class PgCopyJobStore implements CopyJobStore {

  static final String COLUMNS =
      "job_id, account_id, source_vault_arn, source_recovery_point_arn, destination_vault_arn,"
          + " destination_recovery_point_arn, resource_arn, resource_type, iam_role_arn, state, status_message,"
          + " backup_size_bytes, lifecycle, created_by, created_at, completed_at, idempotency_token";
  static final String INSERT = "INSERT INTO copy_jobs (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
      + " $9, $10, $11, $12, $13, $14, $15, $16, $17)"
      + " ON CONFLICT (account_id, idempotency_token) WHERE idempotency_token IS NOT NULL DO NOTHING RETURNING job_id";
  static final String FIND_BY_TOKEN =
      "SELECT " + COLUMNS + " FROM copy_jobs WHERE account_id = $1 AND idempotency_token = $2";
  static final String FIND = "SELECT " + COLUMNS + " FROM copy_jobs WHERE account_id = $1 AND job_id = $2";
  static final String LIST = "SELECT " + COLUMNS + " FROM copy_jobs WHERE account_id = $1";
  static final String BY_RESOURCE = " AND resource_arn = $";
  static final String BY_STATE = " AND state = $";
  static final String BY_CREATED_BEFORE = " AND created_at < $";
  static final String BY_CREATED_AFTER = " AND created_at > $";
  static final String BY_TYPE = " AND resource_type = $";
  static final String BY_DESTINATION = " AND destination_vault_arn = $";
  static final String BY_COMPLETE_BEFORE = " AND completed_at < $";
  static final String BY_COMPLETE_AFTER = " AND completed_at > $";
  static final String BY_SOURCE_POINT = " AND source_recovery_point_arn = $";

  private final Pool pool;

  public PgCopyJobStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<CopyJob> create(CopyJob j) {
    Tuple args = Tuple.tuple().addValue(j.jobId()).addValue(j.accountId()).addValue(j.sourceVaultArn())
        .addValue(j.sourceRecoveryPointArn()).addValue(j.destinationVaultArn()).addValue(j.destinationRecoveryPointArn())
        .addValue(j.resourceArn()).addValue(j.resourceType()).addValue(j.iamRoleArn()).addValue(j.state())
        .addValue(j.statusMessage()).addValue(j.backupSizeBytes()).addValue(j.lifecycle()).addValue(j.createdBy())
        .addValue(Times.db(j.createdAt())).addValue(Times.db(j.completedAt())).addValue(j.idempotencyToken());
    return pool.preparedQuery(INSERT).execute(args).compose(rows -> rows.size() > 0
        ? Future.succeededFuture(j)
        : pool.preparedQuery(FIND_BY_TOKEN).execute(Tuple.of(j.accountId(), j.idempotencyToken()))
            .map(found -> job(found.iterator().next())));
  }

  @Override
  public Future<CopyJob> find(String accountId, String jobId) {
    return pool.preparedQuery(FIND).execute(Tuple.of(accountId, jobId))
        .map(rows -> rows.size() == 0 ? null : job(rows.iterator().next()));
  }

  @Override
  public Future<Page<CopyJob>> list(String accountId, CopyJob.Filter f, String nextToken, int limit) {
    KeysetQuery q = new KeysetQuery(LIST, accountId);
    q.filter(BY_RESOURCE, f.resourceArn());
    q.filter(BY_STATE, f.state());
    q.filter(BY_CREATED_BEFORE, Times.db(f.createdBefore()));
    q.filter(BY_CREATED_AFTER, Times.db(f.createdAfter()));
    q.filter(BY_TYPE, f.resourceType());
    q.filter(BY_DESTINATION, f.destinationVaultArn());
    q.filter(BY_COMPLETE_BEFORE, Times.db(f.completeBefore()));
    q.filter(BY_COMPLETE_AFTER, Times.db(f.completeAfter()));
    q.filter(BY_SOURCE_POINT, f.sourceRecoveryPointArn());
    return q.newestFirst(pool, "job_id", nextToken, limit, PgCopyJobStore::job, CopyJob::createdAt, CopyJob::jobId);
  }

  static CopyJob job(Row row) {
    return new CopyJob(
        row.getString("job_id"),
        row.getString("account_id"),
        row.getString("source_vault_arn"),
        row.getString("source_recovery_point_arn"),
        row.getString("destination_vault_arn"),
        row.getString("destination_recovery_point_arn"),
        row.getString("resource_arn"),
        row.getString("resource_type"),
        row.getString("iam_role_arn"),
        row.getString("state"),
        row.getString("status_message"),
        row.getLong("backup_size_bytes"),
        (JsonObject) row.getValue("lifecycle"),
        (JsonObject) row.getValue("created_by"),
        Times.instant(row.getOffsetDateTime("created_at")),
        Times.instant(row.getOffsetDateTime("completed_at")),
        row.getString("idempotency_token"));
  }
}
