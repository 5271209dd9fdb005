package dev.vaultgate.coordinator.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.Function;

/**
 * Works through a query's rows one at a time (each step's storage calls end before the next begins, so a background
 * pass never floods a bucket) and adds up what each step answers.
 */
public final class RowsInTurn {
  private RowsInTurn() {
  }

  public static <R> Future<R> sum(RowSet<Row> rows, R zero, Function<Row, Future<R>> each, BinaryOperator<R> plus) {
    List<Row> all = new ArrayList<>();
    rows.forEach(all::add);
    Future<R> chain = Future.succeededFuture(zero);
    for (Row row : all) {
      chain = chain.compose(sum -> each.apply(row).map(r -> plus.apply(sum, r)));
    }
    return chain;
  }
}
