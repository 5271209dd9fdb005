package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.function.Function;

/**
 * A filtered listing of one account's rows, newest first, paged by (created_at, id): the base
 * query and the filter fragments are the store's SQL constants; this only numbers parameters.
 */
final class KeysetQuery {

  static final String AFTER_KEY = " AND (created_at, %s) < ($%d, $%d)";
  static final String ORDER = " ORDER BY created_at DESC, %s DESC LIMIT $%d";

  private final StringBuilder sql;
  private final Tuple args;

  KeysetQuery(String base, String accountId) {
    this.sql = new StringBuilder(base);
    this.args = Tuple.of(accountId);
  }

  /** Adds {@code fragment} (ending in "$") with the next parameter, unless the value is null. */
  void filter(String fragment, Object value) {
    if (value == null) return;
    args.addValue(value);
    sql.append(fragment).append(args.size());
  }

  /** Adds {@code fragment} (with one {@code %d} for the parameter number), unless the value is null. */
  void filterFormatted(String fragment, Object value) {
    if (value == null) return;
    args.addValue(value);
    sql.append(String.format(fragment, args.size()));
  }

  <T> Future<Page<T>> newestFirst(Pool pool, String idColumn, String nextToken, int limit, Function<Row, T> map,
      Function<T, Instant> createdAt, Function<T, String> id) {
    if (nextToken != null) {
      String[] at = Page.parts(nextToken, 2);
      sql.append(String.format(AFTER_KEY, idColumn, args.size() + 1, args.size() + 2));
      args.addValue(Times.db(PgPages.micros(at[0]))).addValue(at[1]);
    }
    sql.append(String.format(ORDER, idColumn, args.size() + 1));
    args.addValue(limit + 1);
    return pool.preparedQuery(sql.toString()).execute(args)
        .map(rows -> PgPages.page(rows, limit, map, (row, item) -> Page.token(PgPages.micros(createdAt.apply(item)), id.apply(item))));
  }
}
