package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tags in PostgreSQL (table {@code resource_tags}). */
public final class PgTagStore implements TagStore {

  static final String UPSERT =
      "INSERT INTO resource_tags (account_id, resource_arn, key, value) VALUES ($1, $2, $3, $4)"
          + " ON CONFLICT (account_id, resource_arn, key) DO UPDATE SET value = EXCLUDED.value";
  static final String DELETE =
      "DELETE FROM resource_tags WHERE account_id = $1 AND resource_arn = $2 AND key = ANY($3)";
  static final String LIST =
      "SELECT key, value FROM resource_tags WHERE account_id = $1 AND resource_arn = $2 ORDER BY key";

  private final Pool pool;

  public PgTagStore(Pool pool) {
    this.pool = pool;
  }

  /** Writes tags on the given client (a transaction's connection, or the pool). */
  static Future<Void> insert(SqlClient client, String accountId, String arn, Map<String, String> tags) {
    if (tags == null || tags.isEmpty()) return Future.succeededFuture();
    List<Tuple> batch = new ArrayList<>();
    tags.forEach((k, v) -> batch.add(Tuple.of(accountId, arn, k, v)));
    return client.preparedQuery(UPSERT).executeBatch(batch).mapEmpty();
  }

  @Override
  public Future<Void> tag(String accountId, String resourceArn, Map<String, String> tags) {
    return insert(pool, accountId, resourceArn, tags);
  }

  @Override
  public Future<Void> untag(String accountId, String resourceArn, List<String> keys) {
    return pool.preparedQuery(DELETE)
        .execute(Tuple.of(accountId, resourceArn, keys.toArray(new String[0])))
        .mapEmpty();
  }

  @Override
  public Future<Map<String, String>> tags(String accountId, String resourceArn) {
    return pool.preparedQuery(LIST).execute(Tuple.of(accountId, resourceArn))
        .map(rows -> {
          Map<String, String> out = new LinkedHashMap<>();
          for (Row row : rows) out.put(row.getString("key"), row.getString("value"));
          return out;
        });
  }
}
