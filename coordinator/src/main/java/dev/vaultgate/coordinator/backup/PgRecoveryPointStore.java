package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.LegalHoldScope;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Recovery points in PostgreSQL (table {@code recovery_points}). */
public final class PgRecoveryPointStore implements RecoveryPointStore {

  static final String COLUMNS =
      "recovery_point_arn, account_id, vault_name, vault_arn, resource_arn, resource_type, backup_job_id,"
          + " iam_role_arn, status, status_message, storage_class, size_bytes, created_at, completed_at,"
          + " lifecycle, cold_at, delete_at, created_by, restore_metadata";
  static final String LOCK_JOB = "SELECT " + PgBackupJobStore.COLUMNS
      + ", lease_owner FROM backup_jobs WHERE account_id = $1 AND job_id = $2 FOR UPDATE";
  static final String VAULT_LOCK =
      "SELECT arn, locked, lock_min_days, lock_max_days, lock_changeable_until, access_policy FROM backup_vaults"
          + " WHERE account_id = $1 AND name = $2 FOR SHARE";
  static final String INSERT =
      "INSERT INTO recovery_points (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
          + " $13, $14, $15, $16, $17, $18, $19)";
  static final String FINISH_JOB =
      "UPDATE backup_jobs SET state = $2, status_message = $3, completed_at = $4, percent_done = $5,"
          + " backup_size_bytes = $6, bytes_transferred = $6, lease_owner = NULL, lease_expires_at = NULL"
          + " WHERE job_id = $1";
  static final String FIND = "SELECT " + COLUMNS + " FROM recovery_points"
      + " WHERE account_id = $1 AND vault_name = $2 AND recovery_point_arn = $3";
  static final String LOCK_POINT = FIND + " FOR UPDATE";
  static final String FIND_BY_ARN = "SELECT " + COLUMNS + " FROM recovery_points"
      + " WHERE account_id = $1 AND recovery_point_arn = $2";
  static final String SET_LIFECYCLE =
      "UPDATE recovery_points SET lifecycle = $2, cold_at = $3, delete_at = $4 WHERE recovery_point_arn = $1";
  static final String DELETE = "DELETE FROM recovery_points WHERE recovery_point_arn = $1";
  static final String ACTIVE_HOLDS =
      "SELECT selection FROM legal_holds WHERE account_id = $1 AND status = 'ACTIVE'";

  /** Listing: the base and one fragment per filter (see {@link KeysetQuery}). */
  static final String LIST = "SELECT " + COLUMNS + " FROM recovery_points WHERE account_id = $1";
  static final String BY_VAULT = " AND vault_name = $";
  static final String BY_VAULTS = " AND vault_name = ANY($%d)";
  static final String BY_RESOURCE = " AND resource_arn = $";
  static final String BY_RESOURCES = " AND resource_arn = ANY($%d)";
  static final String BY_TYPE = " AND resource_type = $";
  static final String BY_PLAN = " AND created_by ->> 'BackupPlanId' = $";
  static final String BY_CREATED_BEFORE = " AND created_at < $";
  static final String BY_CREATED_AFTER = " AND created_at > $";
  static final String FROM_DATE = " AND created_at >= $";
  static final String TO_DATE = " AND created_at <= $";

  static final String PROTECTED =
      "SELECT DISTINCT ON (resource_arn) resource_arn, resource_type, created_at, vault_arn, recovery_point_arn"
          + " FROM recovery_points WHERE account_id = $1 AND resource_arn > $2"
          + " ORDER BY resource_arn, created_at DESC LIMIT $3";
  static final String PROTECTED_ONE =
      "SELECT resource_arn, resource_type, created_at, vault_arn, recovery_point_arn FROM recovery_points"
          + " WHERE account_id = $1 AND resource_arn = $2 ORDER BY created_at DESC LIMIT 1";

  private final Pool pool;

  public PgRecoveryPointStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<RecoveryPoint> completeBackup(
      String accountId, String jobId, long sizeBytes, Map<String, String> restoreMetadata, Instant now,
      CompletionCheck check) {
    return pool.withTransaction(conn ->
        conn.preparedQuery(LOCK_JOB).execute(Tuple.of(accountId, jobId)).compose(rows -> {
          if (rows.size() == 0) throw JobOperations.notFound(jobId);
          Row row = rows.iterator().next();
          BackupJob job = PgBackupJobStore.job(row);
          check.check(job, row.getString("lease_owner"));
          if (!List.of("CREATED", "PENDING", "RUNNING").contains(job.state())) {
            throw ApiException.invalidRequest("Backup job " + jobId + " is " + job.state() + " and cannot complete");
          }
          return conn.preparedQuery(VAULT_LOCK).execute(Tuple.of(accountId, job.vaultName())).compose(vaults -> {
            if (vaults.size() == 0) {
              return conn.preparedQuery(FINISH_JOB)
                  .execute(Tuple.of(jobId, "FAILED", "Backup vault " + job.vaultName() + " no longer exists",
                      Times.db(now), job.percentDone(), null))
                  .map(r -> (RecoveryPoint) null);
            }
            VaultLock lock = PgVaultStore.lock(vaults.iterator().next());
            Long coldDays = job.lifecycle() == null ? null : job.lifecycle().getLong("MoveToColdStorageAfterDays");
            Long deleteDays = job.lifecycle() == null ? null : job.lifecycle().getLong("DeleteAfterDays");
            try {
              if (lock != null) lock.checkRetention(deleteDays);
            } catch (RuleViolation v) {
              return conn.preparedQuery(FINISH_JOB)
                  .execute(Tuple.of(jobId, "FAILED", v.getMessage(), Times.db(now), job.percentDone(), null))
                  .map(r -> (RecoveryPoint) null);
            }
            RecoveryPoint point = new RecoveryPoint(job.recoveryPointArn(), accountId, job.vaultName(), job.vaultArn(),
                job.resourceArn(), job.resourceType(), jobId, job.iamRoleArn(), "COMPLETED", null, "WARM", sizeBytes,
                job.createdAt(), now, job.lifecycle(), LifecycleRules.coldAt(job.createdAt(), coldDays),
                LifecycleRules.deleteAt(job.createdAt(), deleteDays), job.createdBy(),
                new JsonObject(new LinkedHashMap<>(restoreMetadata)));
            return insert(conn, point)
                .compose(r -> conn.preparedQuery(FINISH_JOB)
                    .execute(Tuple.of(jobId, "COMPLETED", null, Times.db(now), "100.0", sizeBytes)))
                .compose(r -> RuleCopies.create(conn, job, sizeBytes, now))
                .map(point);
          });
        }));
  }

  static Future<Void> insert(SqlConnection conn, RecoveryPoint p) {
    Tuple args = Tuple.tuple().addValue(p.arn()).addValue(p.accountId()).addValue(p.vaultName())
        .addValue(p.vaultArn()).addValue(p.resourceArn()).addValue(p.resourceType()).addValue(p.backupJobId())
        .addValue(p.iamRoleArn()).addValue(p.status()).addValue(p.statusMessage()).addValue(p.storageClass())
        .addValue(p.sizeBytes()).addValue(Times.db(p.createdAt())).addValue(Times.db(p.completedAt()))
        .addValue(p.lifecycle()).addValue(Times.db(p.coldAt())).addValue(Times.db(p.deleteAt()))
        .addValue(p.createdBy()).addValue(p.restoreMetadata());
    return conn.preparedQuery(INSERT).execute(args).mapEmpty();
  }

  @Override
  public Future<RecoveryPoint> find(String accountId, String vaultName, String arn) {
    return pool.preparedQuery(FIND).execute(Tuple.of(accountId, vaultName, arn))
        .map(rows -> rows.size() == 0 ? null : point(rows.iterator().next()));
  }

  @Override
  public Future<RecoveryPoint> findByArn(String accountId, String arn) {
    return pool.preparedQuery(FIND_BY_ARN).execute(Tuple.of(accountId, arn))
        .map(rows -> rows.size() == 0 ? null : point(rows.iterator().next()));
  }

  @Override
  public Future<Page<RecoveryPoint>> listByVault(
      String accountId, String vaultName, RecoveryPoint.Filter f, String nextToken, int limit) {
    KeysetQuery q = new KeysetQuery(LIST, accountId);
    q.filter(BY_VAULT, vaultName);
    q.filter(BY_RESOURCE, f.resourceArn());
    q.filter(BY_TYPE, f.resourceType());
    q.filter(BY_PLAN, f.backupPlanId());
    q.filter(BY_CREATED_BEFORE, Times.db(f.createdBefore()));
    q.filter(BY_CREATED_AFTER, Times.db(f.createdAfter()));
    return newestFirst(q, nextToken, limit);
  }

  @Override
  public Future<Page<RecoveryPoint>> listByResource(String accountId, String resourceArn, String nextToken, int limit) {
    KeysetQuery q = new KeysetQuery(LIST, accountId);
    q.filter(BY_RESOURCE, resourceArn);
    return newestFirst(q, nextToken, limit);
  }

  @Override
  public Future<Page<RecoveryPoint>> listByScope(String accountId, LegalHoldScope scope, String nextToken, int limit) {
    KeysetQuery q = new KeysetQuery(LIST, accountId);
    if (!scope.vaultNames().isEmpty()) q.filterFormatted(BY_VAULTS, scope.vaultNames().toArray(new String[0]));
    if (!scope.resourceArns().isEmpty()) q.filterFormatted(BY_RESOURCES, scope.resourceArns().toArray(new String[0]));
    q.filter(FROM_DATE, Times.db(scope.from()));
    q.filter(TO_DATE, Times.db(scope.to()));
    return newestFirst(q, nextToken, limit);
  }

  private Future<Page<RecoveryPoint>> newestFirst(KeysetQuery q, String nextToken, int limit) {
    return q.newestFirst(pool, "recovery_point_arn", nextToken, limit, PgRecoveryPointStore::point,
        RecoveryPoint::createdAt, RecoveryPoint::arn);
  }

  @Override
  public Future<RecoveryPoint> updateLifecycle(
      String accountId, String vaultName, String arn, JsonObject lifecycle, LifecycleCheck check) {
    return pool.withTransaction(conn ->
        conn.preparedQuery(LOCK_POINT).execute(Tuple.of(accountId, vaultName, arn)).compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(null);
          RecoveryPoint p = point(rows.iterator().next());
          return conn.preparedQuery(VAULT_LOCK).execute(Tuple.of(accountId, vaultName)).compose(vaults -> {
            VaultLock lock = vaults.size() == 0 ? null : PgVaultStore.lock(vaults.iterator().next());
            check.check(p, lock);
            Instant coldAt = LifecycleRules.coldAt(p.createdAt(), lifecycle.getLong("MoveToColdStorageAfterDays"));
            Instant deleteAt = LifecycleRules.deleteAt(p.createdAt(), lifecycle.getLong("DeleteAfterDays"));
            RecoveryPoint updated = new RecoveryPoint(p.arn(), p.accountId(), p.vaultName(), p.vaultArn(),
                p.resourceArn(), p.resourceType(), p.backupJobId(), p.iamRoleArn(), p.status(), p.statusMessage(),
                p.storageClass(), p.sizeBytes(), p.createdAt(), p.completedAt(), lifecycle, coldAt, deleteAt,
                p.createdBy(), p.restoreMetadata());
            return conn.preparedQuery(SET_LIFECYCLE)
                .execute(Tuple.of(arn, lifecycle, Times.db(coldAt), Times.db(deleteAt)))
                .map(updated);
          });
        }));
  }

  @Override
  public Future<Boolean> delete(String accountId, String vaultName, String arn, DeletionCheck check) {
    return pool.withTransaction(conn ->
        conn.preparedQuery(LOCK_POINT).execute(Tuple.of(accountId, vaultName, arn)).compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(false);
          RecoveryPoint p = point(rows.iterator().next());
          return conn.preparedQuery(VAULT_LOCK).execute(Tuple.of(accountId, vaultName))
              .compose(vaults -> conn.preparedQuery(ACTIVE_HOLDS).execute(Tuple.of(accountId)).compose(holds -> {
                Row vault = vaults.iterator().next();
                List<LegalHoldScope> scopes = new ArrayList<>();
                for (Row h : holds) scopes.add(PgLegalHoldStore.scope((JsonObject) h.getValue("selection")));
                check.check(new DeletionContext(p, PgVaultStore.lock(vault), vault.getString("access_policy"), scopes));
                return conn.preparedQuery(DELETE).execute(Tuple.of(arn)).map(true);
              }));
        }));
  }

  @Override
  public Future<Page<ProtectedResource>> protectedResources(String accountId, String nextToken, int limit) {
    String after = nextToken == null ? "" : Page.parts(nextToken, 1)[0];
    return pool.preparedQuery(PROTECTED).execute(Tuple.of(accountId, after, limit + 1))
        .map(rows -> PgPages.page(rows, limit, PgRecoveryPointStore::resource,
            (row, r) -> Page.token(r.resourceArn())));
  }

  @Override
  public Future<ProtectedResource> protectedResource(String accountId, String resourceArn) {
    return pool.preparedQuery(PROTECTED_ONE).execute(Tuple.of(accountId, resourceArn))
        .map(rows -> rows.size() == 0 ? null : resource(rows.iterator().next()));
  }

  private static ProtectedResource resource(Row row) {
    return new ProtectedResource(row.getString("resource_arn"), row.getString("resource_type"),
        Times.instant(row.getOffsetDateTime("created_at")), row.getString("vault_arn"),
        row.getString("recovery_point_arn"));
  }

  static RecoveryPoint point(Row row) {
    return new RecoveryPoint(
        row.getString("recovery_point_arn"),
        row.getString("account_id"),
        row.getString("vault_name"),
        row.getString("vault_arn"),
        row.getString("resource_arn"),
        row.getString("resource_type"),
        row.getString("backup_job_id"),
        row.getString("iam_role_arn"),
        row.getString("status"),
        row.getString("status_message"),
        row.getString("storage_class"),
        row.getLong("size_bytes"),
        Times.instant(row.getOffsetDateTime("created_at")),
        Times.instant(row.getOffsetDateTime("completed_at")),
        (JsonObject) row.getValue("lifecycle"),
        Times.instant(row.getOffsetDateTime("cold_at")),
        Times.instant(row.getOffsetDateTime("delete_at")),
        (JsonObject) row.getValue("created_by"),
        (JsonObject) row.getValue("restore_metadata"));
  }
}
