package dev.vaultgate.coordinator.notify;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/** The outbox in PostgreSQL (table {@code notification_outbox}, filled by the V8 triggers). */
public final class PgNotificationOutbox implements NotificationOutbox {

  static final String CLAIM =
      "WITH due AS (SELECT delivery_id FROM notification_outbox WHERE state = 'PENDING' AND next_attempt_at <= now()"
          + " ORDER BY next_attempt_at, delivery_id LIMIT $1 FOR UPDATE SKIP LOCKED)"
          + " UPDATE notification_outbox o SET next_attempt_at = now() + $2 * interval '1 millisecond',"
          + " attempts = o.attempts + 1"
          + " FROM due, sns_subscriptions s WHERE o.delivery_id = due.delivery_id"
          + " AND s.subscription_arn = o.subscription_arn"
          + " RETURNING o.delivery_id, o.subscription_arn, s.protocol, s.endpoint, s.signing_secret, o.event_type,"
          + " o.body, o.attempts, o.created_at, now() AS claimed_at";
  static final String DELIVERED = "DELETE FROM notification_outbox WHERE delivery_id = $1";
  static final String RETRY =
      "UPDATE notification_outbox SET next_attempt_at = now() + $2 * interval '1 millisecond', last_error = $3"
          + " WHERE delivery_id = $1 AND state = 'PENDING'";
  static final String DEAD =
      "UPDATE notification_outbox SET state = 'DEAD', dead_at = now(), last_error = $2 WHERE delivery_id = $1";
  static final String LIST_DEAD =
      "SELECT o.delivery_id, o.subscription_arn, s.endpoint, o.event_type, o.body, o.attempts, o.last_error,"
          + " o.created_at, o.dead_at FROM notification_outbox o JOIN sns_subscriptions s USING (subscription_arn)"
          + " WHERE o.topic_arn = $1 AND o.state = 'DEAD' ORDER BY o.dead_at, o.delivery_id LIMIT $2";

  private final Pool pool;

  public PgNotificationOutbox(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<List<Delivery>> claim(int limit, Duration hold) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(limit, hold.toMillis())).map(rows -> {
      List<Delivery> out = new ArrayList<>();
      for (Row r : rows) {
        out.add(new Delivery(r.getLong("delivery_id"), r.getString("subscription_arn"), r.getString("protocol"),
            r.getString("endpoint"), r.getString("signing_secret"), r.getString("event_type"),
            (JsonObject) r.getValue("body"), r.getInteger("attempts"), instant(r.getOffsetDateTime("created_at")),
            instant(r.getOffsetDateTime("claimed_at"))));
      }
      return out;
    });
  }

  @Override
  public Future<Void> delivered(long id) {
    return pool.preparedQuery(DELIVERED).execute(Tuple.of(id)).mapEmpty();
  }

  @Override
  public Future<Void> retryAfter(long id, Duration wait, String error) {
    return pool.preparedQuery(RETRY).execute(Tuple.of(id, wait.toMillis(), error)).mapEmpty();
  }

  @Override
  public Future<Void> dead(long id, String error) {
    return pool.preparedQuery(DEAD).execute(Tuple.of(id, error)).mapEmpty();
  }

  @Override
  public Future<List<Dead>> dead(String topicArn, int limit) {
    return pool.preparedQuery(LIST_DEAD).execute(Tuple.of(topicArn, limit)).map(rows -> {
      List<Dead> out = new ArrayList<>();
      for (Row r : rows) {
        out.add(new Dead(r.getLong("delivery_id"), r.getString("subscription_arn"), r.getString("endpoint"),
            r.getString("event_type"), (JsonObject) r.getValue("body"), r.getInteger("attempts"),
            r.getString("last_error"), instant(r.getOffsetDateTime("created_at")),
            instant(r.getOffsetDateTime("dead_at"))));
      }
      return out;
    });
  }

  private static java.time.Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
