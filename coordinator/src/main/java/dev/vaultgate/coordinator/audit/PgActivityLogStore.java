package dev.vaultgate.coordinator.audit;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The activity log in PostgreSQL. Appends serialise on a transaction-scoped advisory lock: the
 * writer holding it reads the chain's head, links its batch after it and inserts the batch
 * (pipelined) before it commits, so several coordinator replicas on one database extend one chain
 * with no gaps and no forks. A sequence alone would not do: a sequence hands out numbers, but the
 * hash of row n+1 needs row n's hash, so the reading of the head and the insert must be one step.
 */
public final class PgActivityLogStore {

  /** Distinct from the schema migrator's lock (726173). */
  static final long APPEND_LOCK = 6163746976L;
  static final String LOCK = "SELECT pg_advisory_xact_lock(" + APPEND_LOCK + ")";
  static final String HEAD = "SELECT seq, hash FROM activity_log ORDER BY seq DESC LIMIT 1";
  static final String INSERT = "INSERT INTO activity_log (seq, event_id, event_time, account_id, event_source,"
      + " event_name, username, access_key_id, read_only, resource_names, resource_types, canonical, hash, prev_hash)"
      + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
  static final String ROWS_FROM = "SELECT seq, event_id, event_time, account_id, event_source, event_name, username,"
      + " access_key_id, read_only, resource_names, resource_types, canonical, hash, prev_hash FROM activity_log"
      + " WHERE seq >= $1 ORDER BY seq LIMIT $2";

  /** The head of the chain: the last row's seq and hash. */
  public record Head(long seq, String hash) {}

  /** A row as read back, for the verifier and the lookups. */
  public record StoredRow(long seq, ActivityEvent.Fields columns, String canonical, String hash, String prevHash) {}

  private final Pool pool;

  public PgActivityLogStore(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  /** Appends the events in order; the result is the head after them. */
  public Future<Head> append(List<ActivityEvent> events) {
    return appendPrepared(events.stream().map(HashChain.Prepared::of).toList());
  }

  /** Appends events already prepared (encoded off the event loop); the result is the head after them. */
  public Future<Head> appendPrepared(List<HashChain.Prepared> events) {
    if (events.isEmpty()) return head();
    return pool.withTransaction(conn -> conn.query(LOCK).execute()
        .compose(locked -> conn.query(HEAD).execute())
        .compose(rows -> {
          Head head = head(rows);
          List<HashChain.Link> links = HashChain.append(head.seq(), head.hash(), events);
          List<Tuple> batch = new ArrayList<>(links.size());
          for (HashChain.Link l : links) batch.add(tuple(l));
          HashChain.Link last = links.get(links.size() - 1);
          return conn.preparedQuery(INSERT).executeBatch(batch).map(done -> new Head(last.seq(), last.hash()));
        }));
  }

  public Future<Head> head() {
    return pool.query(HEAD).execute().map(PgActivityLogStore::head);
  }

  private static Head head(RowSet<Row> rows) {
    if (!rows.iterator().hasNext()) return new Head(0, HashChain.GENESIS);
    Row r = rows.iterator().next();
    return new Head(r.getLong(0), r.getString(1));
  }

  /** Up to {@code limit} rows from {@code fromSeq} on, in order. */
  public Future<List<StoredRow>> rowsFrom(long fromSeq, int limit) {
    return pool.preparedQuery(ROWS_FROM).execute(Tuple.of(fromSeq, limit)).map(rows -> {
      List<StoredRow> out = new ArrayList<>();
      for (Row r : rows) out.add(stored(r));
      return out;
    });
  }

  static StoredRow stored(Row r) {
    ActivityEvent.Fields f = new ActivityEvent.Fields(String.valueOf(r.getUUID(1)),
        r.getOffsetDateTime(2).toInstant(), r.getString(3), r.getString(4), r.getString(5), r.getString(6),
        r.getString(7), r.getBoolean(8), List.of(r.getArrayOfStrings(9)), List.of(r.getArrayOfStrings(10)));
    return new StoredRow(r.getLong(0), f, r.getString(11), r.getString(12), r.getString(13));
  }

  private static Tuple tuple(HashChain.Link l) {
    ActivityEvent.Fields f = l.fields();
    return Tuple.from(new Object[] {
        l.seq(), UUID.fromString(f.eventId()), f.eventTime().atOffset(ZoneOffset.UTC), f.accountId(), f.eventSource(),
        f.eventName(), f.username(), f.accessKeyId(), f.readOnly(), f.resourceNames().toArray(new String[0]),
        f.resourceTypes().toArray(new String[0]), l.canonical(), l.hash(), l.prevHash()});
  }
}
