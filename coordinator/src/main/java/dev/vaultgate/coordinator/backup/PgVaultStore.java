package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.VaultLock;
import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Backup vaults in PostgreSQL (table {@code backup_vaults}; tags in {@code resource_tags}). */
public final class PgVaultStore implements VaultStore {

  static final String COLUMNS =
      "v.account_id, v.name, v.arn, v.created_at, v.encryption_key_arn, v.creator_request_id,"
          + " v.lock_min_days, v.lock_max_days, v.lock_changeable_until, v.locked,"
          + " (SELECT count(*) FROM recovery_points p WHERE p.account_id = v.account_id"
          + "   AND p.vault_name = v.name AND p.status <> 'DELETING') AS points";
  static final String INSERT =
      "INSERT INTO backup_vaults (account_id, name, arn, created_at, encryption_key_arn, creator_request_id)"
          + " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING name";
  static final String FIND = "SELECT " + COLUMNS + " FROM backup_vaults v WHERE v.account_id = $1 AND v.name = $2";
  static final String LIST_FIRST =
      "SELECT " + COLUMNS + " FROM backup_vaults v WHERE v.account_id = $1 ORDER BY v.name LIMIT $2";
  static final String LIST_AFTER =
      "SELECT " + COLUMNS + " FROM backup_vaults v WHERE v.account_id = $1 AND v.name > $3"
          + " ORDER BY v.name LIMIT $2";
  static final String LOCK_ROW =
      "SELECT arn, lock_min_days, lock_max_days, lock_changeable_until, locked FROM backup_vaults"
          + " WHERE account_id = $1 AND name = $2 FOR UPDATE";
  static final String COUNT_POINTS =
      "SELECT count(*) FROM recovery_points WHERE account_id = $1 AND vault_name = $2";
  static final String DELETE = "DELETE FROM backup_vaults WHERE account_id = $1 AND name = $2";
  static final String DELETE_TAGS = "DELETE FROM resource_tags WHERE account_id = $1 AND resource_arn = $2";
  static final String SET_LOCK =
      "UPDATE backup_vaults SET lock_min_days = $3, lock_max_days = $4, lock_changeable_until = $5,"
          + " locked = $6 WHERE account_id = $1 AND name = $2";

  static final String SETTINGS =
      "SELECT access_policy, sns_topic_arn, notification_events FROM backup_vaults WHERE account_id = $1 AND name = $2";
  static final String SET_POLICY = "UPDATE backup_vaults SET access_policy = $3 WHERE account_id = $1 AND name = $2";
  static final String SET_NOTIFICATIONS =
      "UPDATE backup_vaults SET sns_topic_arn = $3, notification_events = $4 WHERE account_id = $1 AND name = $2";

  private final Pool pool;

  public PgVaultStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<Boolean> create(BackupVault vault, Map<String, String> tags) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(INSERT)
                .execute(Tuple.of(vault.accountId(), vault.name(), vault.arn(), Times.db(vault.createdAt()),
                    vault.encryptionKeyArn(), vault.creatorRequestId()))
                .compose(rows -> {
                  if (rows.size() == 0) return Future.succeededFuture(false);
                  return PgTagStore.insert(conn, vault.accountId(), vault.arn(), tags).map(true);
                }));
  }

  @Override
  public Future<BackupVault> find(String accountId, String name) {
    return pool.preparedQuery(FIND).execute(Tuple.of(accountId, name))
        .map(rows -> rows.size() == 0 ? null : vault(rows.iterator().next()));
  }

  @Override
  public Future<Page<BackupVault>> list(String accountId, String nextToken, int limit) {
    Future<RowSet<Row>> rows =
        nextToken == null
            ? pool.preparedQuery(LIST_FIRST).execute(Tuple.of(accountId, limit + 1))
            : pool.preparedQuery(LIST_AFTER).execute(Tuple.of(accountId, limit + 1, Page.parts(nextToken, 1)[0]));
    return rows.map(rs -> {
      List<BackupVault> out = new ArrayList<>();
      for (Row row : rs) out.add(vault(row));
      if (out.size() <= limit) return new Page<>(out, null);
      List<BackupVault> page = out.subList(0, limit);
      return new Page<>(List.copyOf(page), Page.token(page.get(limit - 1).name()));
    });
  }

  @Override
  public Future<Boolean> deleteIfEmpty(String accountId, String name) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(LOCK_ROW).execute(Tuple.of(accountId, name))
                .compose(lock -> {
                  if (lock.size() == 0) return Future.succeededFuture(false);
                  return conn.preparedQuery(COUNT_POINTS).execute(Tuple.of(accountId, name))
                      .compose(count -> {
                        long points = count.iterator().next().getLong(0);
                        if (points > 0) {
                          throw ApiException.invalidRequest(
                              "Backup vault " + name + " cannot be deleted because it contains "
                                  + points + " recovery points");
                        }
                        return conn.preparedQuery(DELETE).execute(Tuple.of(accountId, name))
                            .compose(r -> conn.preparedQuery(DELETE_TAGS)
                                .execute(Tuple.of(accountId, lock.iterator().next().getString("arn"))))
                            .map(true);
                      });
                }));
  }

  @Override
  public Future<Boolean> updateLock(String accountId, String name, Instant now, UnaryOperator<VaultLock> change) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(LOCK_ROW).execute(Tuple.of(accountId, name))
                .compose(rows -> {
                  if (rows.size() == 0) return Future.succeededFuture(false);
                  Row row = rows.iterator().next();
                  VaultLock current = lock(row);
                  VaultLock next = change.apply(current);
                  Tuple args = next == null
                      ? Tuple.of(accountId, name, null, null, null, false)
                      : Tuple.of(accountId, name, next.minRetentionDays(), next.maxRetentionDays(),
                          Times.db(next.lockDate()), true);
                  return conn.preparedQuery(SET_LOCK).execute(args).map(true);
                }));
  }

  @Override
  public Future<Settings> settings(String accountId, String name) {
    return pool.preparedQuery(SETTINGS).execute(Tuple.of(accountId, name)).map(rows -> {
      if (rows.size() == 0) return null;
      Row row = rows.iterator().next();
      return new Settings(row.getString("access_policy"), row.getString("sns_topic_arn"),
          (JsonArray) row.getValue("notification_events"));
    });
  }

  @Override
  public Future<Boolean> setAccessPolicy(String accountId, String name, String policy) {
    return pool.preparedQuery(SET_POLICY).execute(Tuple.of(accountId, name, policy)).map(r -> r.rowCount() > 0);
  }

  @Override
  public Future<Boolean> setNotifications(String accountId, String name, String snsTopicArn, JsonArray events) {
    return pool.preparedQuery(SET_NOTIFICATIONS).execute(Tuple.of(accountId, name, snsTopicArn, events))
        .map(r -> r.rowCount() > 0);
  }

  static VaultLock lock(Row row) {
    if (!row.getBoolean("locked")) return null;
    return new VaultLock(row.getLong("lock_min_days"), row.getLong("lock_max_days"),
        Times.instant(row.getOffsetDateTime("lock_changeable_until")));
  }

  private static BackupVault vault(Row row) {
    return new BackupVault(
        row.getString("account_id"),
        row.getString("name"),
        row.getString("arn"),
        Times.instant(row.getOffsetDateTime("created_at")),
        row.getString("encryption_key_arn"),
        row.getString("creator_request_id"),
        lock(row),
        row.getLong("points"));
  }
}
