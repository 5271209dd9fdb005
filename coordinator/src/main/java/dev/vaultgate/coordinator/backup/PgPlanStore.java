package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Plans in PostgreSQL: {@code backup_plans} (identity, current version, deletion),
 * {@code backup_plan_versions} (one document per version) and {@code backup_selections}.
 */
public final class PgPlanStore implements PlanStore {

  static final String PLAN_COLUMNS =
      "p.plan_id, p.account_id, p.arn, p.name, p.creator_request_id, p.deleted_at, p.last_execution_at,"
          + " v.version_id, v.document, v.created_at";
  static final String CURRENT =
      " FROM backup_plans p JOIN backup_plan_versions v ON v.plan_id = p.plan_id AND v.version_id = p.version_id";
  static final String FIND_CURRENT =
      "SELECT " + PLAN_COLUMNS + CURRENT + " WHERE p.account_id = $1 AND p.plan_id = $2";
  static final String FIND_VERSION =
      "SELECT " + PLAN_COLUMNS + " FROM backup_plans p JOIN backup_plan_versions v ON v.plan_id = p.plan_id"
          + " WHERE p.account_id = $1 AND p.plan_id = $2 AND v.version_id = $3";
  static final String FIND_BY_REQUEST =
      "SELECT " + PLAN_COLUMNS + CURRENT
          + " WHERE p.account_id = $1 AND p.creator_request_id = $2 AND p.deleted_at IS NULL";
  static final String INSERT_PLAN =
      "INSERT INTO backup_plans (plan_id, account_id, arn, name, version_id, creator_request_id, created_at)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING plan_id";
  static final String INSERT_VERSION =
      "INSERT INTO backup_plan_versions (plan_id, version_id, document, created_at) VALUES ($1, $2, $3, $4)";
  static final String LOCK_LIVE_PLAN =
      "SELECT " + PLAN_COLUMNS + CURRENT
          + " WHERE p.account_id = $1 AND p.plan_id = $2 AND p.deleted_at IS NULL FOR UPDATE OF p";
  static final String SET_VERSION =
      "UPDATE backup_plans SET version_id = $2, name = $3 WHERE plan_id = $1";
  static final String COUNT_SELECTIONS = "SELECT count(*) FROM backup_selections WHERE plan_id = $1";
  static final String MARK_DELETED = "UPDATE backup_plans SET deleted_at = $2 WHERE plan_id = $1";
  static final String MARK_VERSION_DELETED =
      "UPDATE backup_plan_versions SET deleted_at = $3 WHERE plan_id = $1 AND version_id = $2";
  static final String LIST_FIRST =
      "SELECT " + PLAN_COLUMNS + ", p.created_at AS plan_created" + CURRENT
          + " WHERE p.account_id = $1 AND ($2 OR p.deleted_at IS NULL)"
          + " ORDER BY p.created_at, p.plan_id LIMIT $3";
  static final String LIST_AFTER =
      "SELECT " + PLAN_COLUMNS + ", p.created_at AS plan_created" + CURRENT
          + " WHERE p.account_id = $1 AND ($2 OR p.deleted_at IS NULL) AND (p.created_at, p.plan_id) > ($4, $5)"
          + " ORDER BY p.created_at, p.plan_id LIMIT $3";
  static final String PLAN_EXISTS = "SELECT 1 FROM backup_plans WHERE account_id = $1 AND plan_id = $2";
  static final String VERSIONS_FIRST =
      "SELECT " + PLAN_COLUMNS + " FROM backup_plans p JOIN backup_plan_versions v ON v.plan_id = p.plan_id"
          + " WHERE p.account_id = $1 AND p.plan_id = $2 ORDER BY v.created_at DESC, v.version_id DESC LIMIT $3";
  static final String VERSIONS_AFTER =
      "SELECT " + PLAN_COLUMNS + " FROM backup_plans p JOIN backup_plan_versions v ON v.plan_id = p.plan_id"
          + " WHERE p.account_id = $1 AND p.plan_id = $2 AND (v.created_at, v.version_id) < ($4, $5)"
          + " ORDER BY v.created_at DESC, v.version_id DESC LIMIT $3";

  static final String SELECTION_COLUMNS =
      "selection_id, plan_id, account_id, name, iam_role_arn, document, creator_request_id, created_at";
  static final String LOCK_PLAN_FOR_SELECTION =
      "SELECT plan_id FROM backup_plans WHERE account_id = $1 AND plan_id = $2 AND deleted_at IS NULL FOR SHARE";
  static final String INSERT_SELECTION =
      "INSERT INTO backup_selections (" + SELECTION_COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
          + " ON CONFLICT (plan_id, name) DO NOTHING RETURNING selection_id";
  static final String FIND_SELECTION =
      "SELECT " + SELECTION_COLUMNS + " FROM backup_selections"
          + " WHERE account_id = $1 AND plan_id = $2 AND selection_id = $3";
  static final String SELECTIONS_FIRST =
      "SELECT " + SELECTION_COLUMNS + " FROM backup_selections WHERE account_id = $1 AND plan_id = $2"
          + " ORDER BY created_at, selection_id LIMIT $3";
  static final String SELECTIONS_AFTER =
      "SELECT " + SELECTION_COLUMNS + " FROM backup_selections WHERE account_id = $1 AND plan_id = $2"
          + " AND (created_at, selection_id) > ($4, $5) ORDER BY created_at, selection_id LIMIT $3";
  static final String DELETE_SELECTION =
      "DELETE FROM backup_selections WHERE account_id = $1 AND plan_id = $2 AND selection_id = $3";

  private final Pool pool;

  public PgPlanStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<BackupPlanVersion> create(BackupPlanVersion plan, Map<String, String> tags) {
    return pool.withTransaction(conn -> {
      Future<RowSet<Row>> same = plan.creatorRequestId() == null
          ? Future.succeededFuture(null)
          : conn.preparedQuery(FIND_BY_REQUEST).execute(Tuple.of(plan.accountId(), plan.creatorRequestId()));
      return same.compose(existing -> {
        if (existing != null && existing.size() > 0) return Future.succeededFuture(plan(existing.iterator().next()));
        return conn.preparedQuery(INSERT_PLAN)
            .execute(Tuple.of(plan.planId(), plan.accountId(), plan.arn(), plan.name(), plan.versionId(),
                plan.creatorRequestId(), Times.db(plan.createdAt())))
            .compose(rows -> {
              if (rows.size() == 0) {
                throw ApiException.alreadyExists("A backup plan named " + plan.name() + " already exists");
              }
              return conn.preparedQuery(INSERT_VERSION)
                  .execute(Tuple.of(plan.planId(), plan.versionId(), plan.document(), Times.db(plan.createdAt())));
            })
            .compose(r -> PgTagStore.insert(conn, plan.accountId(), plan.arn(), tags))
            .map(plan);
      });
    });
  }

  @Override
  public Future<BackupPlanVersion> find(String accountId, String planId, String versionId) {
    Future<RowSet<Row>> rows = versionId == null
        ? pool.preparedQuery(FIND_CURRENT).execute(Tuple.of(accountId, planId))
        : pool.preparedQuery(FIND_VERSION).execute(Tuple.of(accountId, planId, versionId));
    return rows.map(rs -> rs.size() == 0 ? null : plan(rs.iterator().next()));
  }

  @Override
  public Future<BackupPlanVersion> update(
      String accountId, String planId, String newVersionId, Instant now, UnaryOperator<JsonObject> change) {
    return pool.withTransaction(conn ->
        conn.preparedQuery(LOCK_LIVE_PLAN).execute(Tuple.of(accountId, planId)).compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(null);
          BackupPlanVersion current = plan(rows.iterator().next());
          JsonObject document = change.apply(current.document());
          String name = document.getString("BackupPlanName");
          BackupPlanVersion next = new BackupPlanVersion(planId, accountId, current.arn(), name, newVersionId,
              current.creatorRequestId(), now, null, current.lastExecutionAt(), document);
          return conn.preparedQuery(INSERT_VERSION)
              .execute(Tuple.of(planId, newVersionId, document, Times.db(now)))
              .compose(r -> conn.preparedQuery(SET_VERSION).execute(Tuple.of(planId, newVersionId, name)))
              .recover(e -> Future.failedFuture(PgPages.isUniqueViolation(e)
                  ? ApiException.alreadyExists("A backup plan named " + name + " already exists") : e))
              .map(next);
        }));
  }

  @Override
  public Future<BackupPlanVersion> delete(String accountId, String planId, Instant now) {
    return pool.withTransaction(conn ->
        conn.preparedQuery(LOCK_LIVE_PLAN).execute(Tuple.of(accountId, planId)).compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(null);
          BackupPlanVersion current = plan(rows.iterator().next());
          return conn.preparedQuery(COUNT_SELECTIONS).execute(Tuple.of(planId)).compose(count -> {
            if (count.iterator().next().getLong(0) > 0) {
              throw ApiException.invalidRequest(
                  "Related backup plan selections must be deleted prior to backup plan deletion.");
            }
            return conn.preparedQuery(MARK_DELETED).execute(Tuple.of(planId, Times.db(now)))
                .compose(r -> conn.preparedQuery(MARK_VERSION_DELETED)
                    .execute(Tuple.of(planId, current.versionId(), Times.db(now))))
                .map(r -> new BackupPlanVersion(current.planId(), accountId, current.arn(), current.name(),
                    current.versionId(), current.creatorRequestId(), current.createdAt(), now,
                    current.lastExecutionAt(), current.document()));
          });
        }));
  }

  @Override
  public Future<Page<BackupPlanVersion>> list(String accountId, boolean includeDeleted, String nextToken, int limit) {
    Future<RowSet<Row>> rows;
    if (nextToken == null) {
      rows = pool.preparedQuery(LIST_FIRST).execute(Tuple.of(accountId, includeDeleted, limit + 1));
    } else {
      String[] at = Page.parts(nextToken, 2);
      rows = pool.preparedQuery(LIST_AFTER)
          .execute(Tuple.of(accountId, includeDeleted, limit + 1, Times.db(PgPages.micros(at[0])), at[1]));
    }
    return rows.map(rs -> PgPages.page(rs, limit, PgPlanStore::plan,
        (row, p) -> Page.token(PgPages.micros(Times.instant(row.getOffsetDateTime("plan_created"))), p.planId())));
  }

  @Override
  public Future<Page<BackupPlanVersion>> versions(String accountId, String planId, String nextToken, int limit) {
    return pool.preparedQuery(PLAN_EXISTS).execute(Tuple.of(accountId, planId)).compose(exists -> {
      if (exists.size() == 0) return Future.succeededFuture(null);
      Future<RowSet<Row>> rows;
      if (nextToken == null) {
        rows = pool.preparedQuery(VERSIONS_FIRST).execute(Tuple.of(accountId, planId, limit + 1));
      } else {
        String[] at = Page.parts(nextToken, 2);
        rows = pool.preparedQuery(VERSIONS_AFTER)
            .execute(Tuple.of(accountId, planId, limit + 1, Times.db(PgPages.micros(at[0])), at[1]));
      }
      return rows.map(rs -> PgPages.page(rs, limit, PgPlanStore::plan,
          (row, p) -> Page.token(PgPages.micros(p.createdAt()), p.versionId())));
    });
  }

  @Override
  public Future<BackupSelection> createSelection(BackupSelection s) {
    return pool.withTransaction(conn ->
        conn.preparedQuery(LOCK_PLAN_FOR_SELECTION).execute(Tuple.of(s.accountId(), s.planId())).compose(plan -> {
          if (plan.size() == 0) return Future.succeededFuture(null);
          return conn.preparedQuery(INSERT_SELECTION)
              .execute(Tuple.of(s.selectionId(), s.planId(), s.accountId(), s.name(), s.iamRoleArn(),
                  s.document(), s.creatorRequestId(), Times.db(s.createdAt())))
              .map(rows -> {
                if (rows.size() == 0) {
                  throw ApiException.alreadyExists(
                      "A selection named " + s.name() + " already exists in backup plan " + s.planId());
                }
                return s;
              });
        }));
  }

  @Override
  public Future<BackupSelection> findSelection(String accountId, String planId, String selectionId) {
    return pool.preparedQuery(FIND_SELECTION).execute(Tuple.of(accountId, planId, selectionId))
        .map(rs -> rs.size() == 0 ? null : selection(rs.iterator().next()));
  }

  @Override
  public Future<Page<BackupSelection>> listSelections(String accountId, String planId, String nextToken, int limit) {
    return pool.preparedQuery(PLAN_EXISTS).execute(Tuple.of(accountId, planId)).compose(exists -> {
      if (exists.size() == 0) return Future.succeededFuture(null);
      Future<RowSet<Row>> rows;
      if (nextToken == null) {
        rows = pool.preparedQuery(SELECTIONS_FIRST).execute(Tuple.of(accountId, planId, limit + 1));
      } else {
        String[] at = Page.parts(nextToken, 2);
        rows = pool.preparedQuery(SELECTIONS_AFTER)
            .execute(Tuple.of(accountId, planId, limit + 1, Times.db(PgPages.micros(at[0])), at[1]));
      }
      return rows.map(rs -> PgPages.page(rs, limit, PgPlanStore::selection,
          (row, s) -> Page.token(PgPages.micros(s.createdAt()), s.selectionId())));
    });
  }

  @Override
  public Future<Boolean> deleteSelection(String accountId, String planId, String selectionId) {
    return pool.preparedQuery(DELETE_SELECTION).execute(Tuple.of(accountId, planId, selectionId))
        .map(rs -> rs.rowCount() > 0);
  }

  private static BackupPlanVersion plan(Row row) {
    JsonObject document = row.getJsonObject("document");
    return new BackupPlanVersion(
        row.getString("plan_id"),
        row.getString("account_id"),
        row.getString("arn"),
        document.getString("BackupPlanName", row.getString("name")),
        row.getString("version_id"),
        row.getString("creator_request_id"),
        Times.instant(row.getOffsetDateTime("created_at")),
        Times.instant(row.getOffsetDateTime("deleted_at")),
        Times.instant(row.getOffsetDateTime("last_execution_at")),
        document);
  }

  private static BackupSelection selection(Row row) {
    return new BackupSelection(
        row.getString("selection_id"),
        row.getString("plan_id"),
        row.getString("account_id"),
        row.getString("name"),
        row.getString("iam_role_arn"),
        row.getJsonObject("document"),
        row.getString("creator_request_id"),
        Times.instant(row.getOffsetDateTime("created_at")));
  }
}
