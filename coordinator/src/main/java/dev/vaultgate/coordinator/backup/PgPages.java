package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/** What the PostgreSQL stores share: keyset pages, timestamps in tokens, constraint violations. */
final class PgPages {

  private PgPages() {}

  /**
   * A page from rows fetched with {@code LIMIT limit + 1}: the extra row only says that there is
   * a next page, whose token {@code token} makes from the page's last row.
   */
  static <T> Page<T> page(RowSet<Row> rows, int limit, Function<Row, T> map, BiFunction<Row, T, String> token) {
    List<T> out = new ArrayList<>();
    Row last = null;
    for (Row row : rows) {
      if (out.size() == limit) return new Page<>(out, token.apply(last, out.get(out.size() - 1)));
      out.add(map.apply(row));
      last = row;
    }
    return new Page<>(out, null);
  }

  /** A timestamp in a token: microseconds since the epoch, PostgreSQL's own precision. */
  static String micros(Instant t) {
    return Long.toString(ChronoUnit.MICROS.between(Instant.EPOCH, t));
  }

  static Instant micros(String s) {
    try {
      return Instant.EPOCH.plus(Long.parseLong(s), ChronoUnit.MICROS);
    } catch (NumberFormatException | ArithmeticException e) {
      throw ApiException.invalidParameter("The NextToken is not valid");
    }
  }

  static boolean isUniqueViolation(Throwable e) {
    return e instanceof PgException pg && "23505".equals(pg.getSqlState());
  }
}
