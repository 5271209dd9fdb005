package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.LegalHoldScope;
import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Legal holds in PostgreSQL (table {@code legal_holds}). */
public final class PgLegalHoldStore implements LegalHoldStore {

  static final String COLUMNS =
      "legal_hold_id, account_id, arn, title, description, status, selection, idempotency_token, created_at,"
          + " cancelled_at, cancel_description, retain_record_until";
  static final String INSERT = "INSERT INTO legal_holds (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
      + " $9, $10, $11, $12) ON CONFLICT (account_id, idempotency_token) WHERE idempotency_token IS NOT NULL"
      + " DO NOTHING RETURNING legal_hold_id";
  static final String FIND_BY_TOKEN =
      "SELECT " + COLUMNS + " FROM legal_holds WHERE account_id = $1 AND idempotency_token = $2";
  static final String FIND = "SELECT " + COLUMNS + " FROM legal_holds WHERE account_id = $1 AND legal_hold_id = $2";
  static final String LOCK = FIND + " FOR UPDATE";
  static final String CANCEL = "UPDATE legal_holds SET status = 'CANCELED', cancelled_at = $2,"
      + " cancel_description = $3, retain_record_until = $4 WHERE legal_hold_id = $1";
  static final String LIST_FIRST = "SELECT " + COLUMNS + " FROM legal_holds WHERE account_id = $1"
      + " ORDER BY created_at, legal_hold_id LIMIT $2";
  static final String LIST_AFTER = "SELECT " + COLUMNS + " FROM legal_holds WHERE account_id = $1"
      + " AND (created_at, legal_hold_id) > ($3, $4) ORDER BY created_at, legal_hold_id LIMIT $2";

  private final Pool pool;

  public PgLegalHoldStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<LegalHold> create(LegalHold h) {
    Tuple args = Tuple.tuple().addValue(h.legalHoldId()).addValue(h.accountId()).addValue(h.arn())
        .addValue(h.title()).addValue(h.description()).addValue(h.status()).addValue(h.selection())
        .addValue(h.idempotencyToken()).addValue(Times.db(h.createdAt())).addValue(null).addValue(null).addValue(null);
    return pool.preparedQuery(INSERT).execute(args).compose(rows -> rows.size() > 0
        ? Future.succeededFuture(h)
        : pool.preparedQuery(FIND_BY_TOKEN).execute(Tuple.of(h.accountId(), h.idempotencyToken()))
            .map(found -> hold(found.iterator().next())));
  }

  @Override
  public Future<LegalHold> find(String accountId, String legalHoldId) {
    return pool.preparedQuery(FIND).execute(Tuple.of(accountId, legalHoldId))
        .map(rows -> rows.size() == 0 ? null : hold(rows.iterator().next()));
  }

  @Override
  public Future<Page<LegalHold>> list(String accountId, String nextToken, int limit) {
    Future<RowSet<Row>> rows;
    if (nextToken == null) {
      rows = pool.preparedQuery(LIST_FIRST).execute(Tuple.of(accountId, limit + 1));
    } else {
      String[] at = Page.parts(nextToken, 2);
      rows = pool.preparedQuery(LIST_AFTER).execute(Tuple.of(accountId, limit + 1, Times.db(PgPages.micros(at[0])), at[1]));
    }
    return rows.map(rs -> PgPages.page(rs, limit, PgLegalHoldStore::hold,
        (row, h) -> Page.token(PgPages.micros(h.createdAt()), h.legalHoldId())));
  }

  @Override
  public Future<LegalHold> cancel(String accountId, String legalHoldId, String description, Instant retainUntil, Instant now) {
    return pool.withTransaction(conn ->
        conn.preparedQuery(LOCK).execute(Tuple.of(accountId, legalHoldId)).compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(null);
          LegalHold h = hold(rows.iterator().next());
          if (!"ACTIVE".equals(h.status())) {
            throw ApiException.of("InvalidResourceStateException", "Legal hold " + legalHoldId + " is " + h.status());
          }
          return conn.preparedQuery(CANCEL)
              .execute(Tuple.of(legalHoldId, Times.db(now), description, Times.db(retainUntil)))
              .map(r -> new LegalHold(h.legalHoldId(), h.accountId(), h.arn(), h.title(), h.description(), "CANCELED",
                  h.selection(), h.idempotencyToken(), h.createdAt(), now, description, retainUntil));
        }));
  }

  /** The scope of a stored selection (dates as epoch seconds). */
  public static LegalHoldScope scope(JsonObject selection) {
    JsonObject range = selection.getJsonObject("DateRange");
    return new LegalHoldScope(strings(selection.getJsonArray("VaultNames")),
        strings(selection.getJsonArray("ResourceIdentifiers")),
        range == null ? null : epoch(range.getValue("FromDate")),
        range == null ? null : epoch(range.getValue("ToDate")));
  }

  private static Instant epoch(Object seconds) {
    double d = ((Number) seconds).doubleValue();
    return Instant.ofEpochMilli(Math.round(d * 1000));
  }

  private static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>();
    if (array != null) array.forEach(v -> out.add((String) v));
    return out;
  }

  static LegalHold hold(Row row) {
    return new LegalHold(
        row.getString("legal_hold_id"),
        row.getString("account_id"),
        row.getString("arn"),
        row.getString("title"),
        row.getString("description"),
        row.getString("status"),
        (JsonObject) row.getValue("selection"),
        row.getString("idempotency_token"),
        Times.instant(row.getOffsetDateTime("created_at")),
        Times.instant(row.getOffsetDateTime("cancelled_at")),
        row.getString("cancel_description"),
        Times.instant(row.getOffsetDateTime("retain_record_until")));
  }
}
