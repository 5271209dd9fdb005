package dev.vaultgate.coordinator.auth;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/** Accounts and access keys in PostgreSQL (tables {@code accounts}, {@code access_keys}). */
public final class PgAccessKeyStore implements AccessKeyStore {

  static final String FIND =
      "SELECT access_key_id, secret_access_key, account_id FROM access_keys"
          + " WHERE access_key_id = $1 AND active";
  static final String INSERT_ACCOUNT =
      "INSERT INTO accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING";
  static final String INSERT_KEY =
      "INSERT INTO access_keys (access_key_id, secret_access_key, account_id) VALUES ($1, $2, $3)"
          + " ON CONFLICT (access_key_id) DO NOTHING";

  private final Pool pool;

  public PgAccessKeyStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<AccessKey> find(String accessKeyId) {
    return pool.preparedQuery(FIND)
        .execute(Tuple.of(accessKeyId))
        .map(PgAccessKeyStore::first);
  }

  @Override
  public Future<AccessKey> save(AccessKey key) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(INSERT_ACCOUNT)
                .execute(Tuple.of(key.accountId()))
                .compose(
                    r ->
                        conn.preparedQuery(INSERT_KEY)
                            .execute(Tuple.of(key.accessKeyId(), key.secretAccessKey(), key.accountId())))
                .map(key));
  }

  private static AccessKey first(RowSet<Row> rows) {
    if (rows.size() == 0) return null;
    Row row = rows.iterator().next();
    return new AccessKey(
        row.getString("access_key_id"), row.getString("secret_access_key"), row.getString("account_id"));
  }
}
