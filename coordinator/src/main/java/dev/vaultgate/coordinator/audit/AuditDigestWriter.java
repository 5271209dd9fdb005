package dev.vaultgate.coordinator.audit;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Seals what the chain gained since the last digest: under an advisory lock (so replicas take
 * turns; one that finds it held skips the round), reads the last digest and the chain's head,
 * signs a digest of the new stretch, writes it to S3 and records it. The S3 write happens inside
 * the transaction: if it fails nothing is recorded and the next round covers the stretch again.
 */
public final class AuditDigestWriter {

  static final long DIGEST_LOCK = 6163746977L;
  static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock(" + DIGEST_LOCK + ")";
  static final String LOCK = "SELECT true FROM pg_advisory_xact_lock(" + DIGEST_LOCK + ") AS l";
  static final String LAST_DIGEST = "SELECT last_seq, digest_hash FROM activity_digests ORDER BY last_seq DESC LIMIT 1";
  static final String RECORD = "INSERT INTO activity_digests (first_seq, last_seq, last_hash, digest_hash, object_key,"
      + " created_at) VALUES ($1, $2, $3, $4, $5, $6)";

  /** A digest written: its range, object name and hash. */
  public record Written(long firstSeq, long lastSeq, String lastHash, String name, String digestHash) {}

  private final Pool pool;
  private final S3DigestStore store;
  private final AuditSigningKey key;
  private final Clock clock;

  public AuditDigestWriter(Pool pool, S3DigestStore store, AuditSigningKey key, Clock clock) {
    this.pool = pool;
    this.store = store;
    this.key = key;
    this.clock = clock;
  }

  public S3DigestStore store() {
    return store;
  }

  /** On demand: waits for a replica that is writing one, then seals what is left; empty when nothing is. */
  public Future<Optional<Written>> write(Context context) {
    return write(context, true);
  }

  /**
   * Writes a digest of the rows since the last one; empty when there are none, or (with {@code
   * wait} false, the timer's rounds) when another replica is writing one.
   */
  public Future<Optional<Written>> write(Context context, boolean wait) {
    return pool.withTransaction(conn -> conn.query(wait ? LOCK : TRY_LOCK).execute().compose(locked -> {
      if (!locked.iterator().next().getBoolean(0)) return Future.succeededFuture(Optional.<Written>empty());
      return conn.query(LAST_DIGEST).execute().compose(last ->
          conn.query(PgActivityLogStore.HEAD).execute().compose(head -> {
            long lastSealed = 0;
            String previousHash = null;
            if (last.iterator().hasNext()) {
              Row r = last.iterator().next();
              lastSealed = r.getLong(0);
              previousHash = r.getString(1);
            }
            if (!head.iterator().hasNext()) return Future.succeededFuture(Optional.<Written>empty());
            Row h = head.iterator().next();
            long headSeq = h.getLong(0);
            if (headSeq <= lastSealed) return Future.succeededFuture(Optional.<Written>empty());
            Instant now = clock.instant();
            var digest = Digests.digest(lastSealed + 1, headSeq, h.getString(1), now, previousHash);
            String digestHash = Digests.hash(digest);
            String name = Digests.objectKey(headSeq);
            Written w = new Written(lastSealed + 1, headSeq, h.getString(1), name, digestHash);
            return store.put(context, name, Digests.signed(digest, key), now)
                .compose(v -> conn.preparedQuery(RECORD).execute(Tuple.of(w.firstSeq(), w.lastSeq(), w.lastHash(),
                    digestHash, name, now.atOffset(ZoneOffset.UTC))))
                .map(v -> Optional.of(w));
          }));
    }));
  }

}
