package dev.vaultgate.coordinator.notify;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/** Topics and subscriptions in PostgreSQL (tables {@code sns_topics}, {@code sns_subscriptions}). */
public final class PgTopicStore implements TopicStore {

  static final String INSERT_TOPIC =
      "INSERT INTO sns_topics (arn, account_id, name, display_name, created_at) VALUES ($1, $2, $3, $4, $5)"
          + " ON CONFLICT (account_id, name) DO NOTHING";
  static final String TOPIC_COLUMNS = "arn, account_id, name, display_name, created_at";
  static final String FIND_TOPIC = "SELECT " + TOPIC_COLUMNS + " FROM sns_topics WHERE account_id = $1 AND arn = $2";
  static final String FIND_TOPIC_BY_NAME =
      "SELECT " + TOPIC_COLUMNS + " FROM sns_topics WHERE account_id = $1 AND name = $2";
  static final String LIST_TOPICS =
      "SELECT " + TOPIC_COLUMNS + " FROM sns_topics WHERE account_id = $1 AND arn > $2 ORDER BY arn LIMIT $3";
  static final String DELETE_TOPIC = "DELETE FROM sns_topics WHERE account_id = $1 AND arn = $2";
  static final String SUBSCRIPTION_COLUMNS = "subscription_arn, topic_arn, account_id, protocol, endpoint, confirmed";
  static final String INSERT_SUBSCRIPTION =
      "INSERT INTO sns_subscriptions (subscription_arn, topic_arn, account_id, protocol, endpoint, signing_secret,"
          + " confirmation_token, created_at) SELECT $1, arn, $3, $4, $5, $6, $7, now() FROM sns_topics"
          + " WHERE arn = $2 AND account_id = $3"
          + " ON CONFLICT (topic_arn, protocol, endpoint) DO NOTHING RETURNING " + SUBSCRIPTION_COLUMNS
          + ", confirmation_token";
  static final String FIND_SUBSCRIPTION =
      "SELECT " + SUBSCRIPTION_COLUMNS + ", confirmation_token FROM sns_subscriptions WHERE topic_arn = $1"
          + " AND protocol = $2 AND endpoint = $3 AND account_id = $4";
  static final String INSERT_CONFIRMATION =
      "INSERT INTO notification_outbox (message_id, subscription_arn, topic_arn, account_id, event_type, body,"
          + " created_at, next_attempt_at) VALUES ($1, $2, $3, $4, 'SubscriptionConfirmation', $5, now(), now())";
  static final String CONFIRM =
      "UPDATE sns_subscriptions SET confirmed = true WHERE topic_arn = $1 AND confirmation_token = $2"
          + " RETURNING " + SUBSCRIPTION_COLUMNS;
  static final String DELETE_SUBSCRIPTION =
      "DELETE FROM sns_subscriptions WHERE account_id = $1 AND subscription_arn = $2";
  static final String LIST_SUBSCRIPTIONS =
      "SELECT " + SUBSCRIPTION_COLUMNS + " FROM sns_subscriptions WHERE account_id = $1 AND topic_arn = $2"
          + " AND subscription_arn > $3 ORDER BY subscription_arn LIMIT $4";
  static final String LIST_ALL_SUBSCRIPTIONS =
      "SELECT " + SUBSCRIPTION_COLUMNS + " FROM sns_subscriptions WHERE account_id = $1"
          + " AND subscription_arn > $2 ORDER BY subscription_arn LIMIT $3";
  static final String COUNT_SUBSCRIPTIONS =
      "SELECT count(*) FILTER (WHERE confirmed) AS confirmed, count(*) FILTER (WHERE NOT confirmed) AS pending"
          + " FROM sns_subscriptions WHERE topic_arn = $1";
  static final String COUNT_DELIVERIES =
      "SELECT count(*) FILTER (WHERE state = 'PENDING') AS pending, count(*) FILTER (WHERE state = 'DEAD') AS dead"
          + " FROM notification_outbox WHERE topic_arn = $1";

  private final Pool pool;

  public PgTopicStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<Topic> create(Topic t) {
    return pool.preparedQuery(INSERT_TOPIC)
        .execute(Tuple.of(t.arn(), t.accountId(), t.name(), t.displayName(), db(t.createdAt())))
        .compose(r -> pool.preparedQuery(FIND_TOPIC_BY_NAME).execute(Tuple.of(t.accountId(), t.name())))
        .map(rows -> topic(rows.iterator().next()));
  }

  @Override
  public Future<Topic> find(String accountId, String arn) {
    return pool.preparedQuery(FIND_TOPIC).execute(Tuple.of(accountId, arn))
        .map(rows -> rows.size() == 0 ? null : topic(rows.iterator().next()));
  }

  @Override
  public Future<List<Topic>> list(String accountId, String afterArn, int limit) {
    return pool.preparedQuery(LIST_TOPICS).execute(Tuple.of(accountId, afterArn == null ? "" : afterArn, limit))
        .map(rows -> {
          List<Topic> out = new ArrayList<>();
          for (Row r : rows) out.add(topic(r));
          return out;
        });
  }

  @Override
  public Future<Boolean> delete(String accountId, String arn) {
    return pool.preparedQuery(DELETE_TOPIC).execute(Tuple.of(accountId, arn)).map(r -> r.rowCount() > 0);
  }

  @Override
  public Future<Subscribed> subscribe(Subscription s, String signingSecret, String token,
      Function<String, JsonObject> confirmation) {
    return pool.withTransaction(conn -> conn.preparedQuery(INSERT_SUBSCRIPTION)
        .execute(Tuple.of(s.arn(), s.topicArn(), s.accountId(), s.protocol(), s.endpoint(), signingSecret, token))
        .compose(rows -> rows.size() > 0 ? Future.succeededFuture(new Found(rows.iterator().next(), true))
            : conn.preparedQuery(FIND_SUBSCRIPTION).execute(Tuple.of(s.topicArn(), s.protocol(), s.endpoint(),
                s.accountId())).map(found -> found.size() == 0 ? null : new Found(found.iterator().next(), false)))
        .compose(found -> {
          if (found == null) return Future.succeededFuture(null);
          Subscription sub = subscription(found.row());
          Subscribed result = new Subscribed(sub, found.created());
          if (sub.confirmed()) return Future.succeededFuture(result);
          // unconfirmed, new or asked again: (re)send the confirmation, as SNS does
          JsonObject message = confirmation.apply(found.row().getString("confirmation_token"));
          return conn.preparedQuery(INSERT_CONFIRMATION)
              .execute(Tuple.of(UUID.fromString(message.getString("MessageId")), sub.arn(), sub.topicArn(),
                  sub.accountId(), message))
              .map(result);
        }));
  }

  private record Found(Row row, boolean created) {}

  @Override
  public Future<Subscription> confirm(String topicArn, String token) {
    return pool.preparedQuery(CONFIRM).execute(Tuple.of(topicArn, token))
        .map(rows -> rows.size() == 0 ? null : subscription(rows.iterator().next()));
  }

  @Override
  public Future<Boolean> unsubscribe(String accountId, String subscriptionArn) {
    return pool.preparedQuery(DELETE_SUBSCRIPTION).execute(Tuple.of(accountId, subscriptionArn))
        .map(r -> r.rowCount() > 0);
  }

  @Override
  public Future<List<Subscription>> subscriptions(String accountId, String topicArn, String afterArn, int limit) {
    String after = afterArn == null ? "" : afterArn;
    return (topicArn == null
            ? pool.preparedQuery(LIST_ALL_SUBSCRIPTIONS).execute(Tuple.of(accountId, after, limit))
            : pool.preparedQuery(LIST_SUBSCRIPTIONS).execute(Tuple.of(accountId, topicArn, after, limit)))
        .map(rows -> {
          List<Subscription> out = new ArrayList<>();
          for (Row r : rows) out.add(subscription(r));
          return out;
        });
  }

  @Override
  public Future<SubscriptionCounts> subscriptionCounts(String topicArn) {
    return pool.preparedQuery(COUNT_SUBSCRIPTIONS).execute(Tuple.of(topicArn)).map(rows -> {
      Row r = rows.iterator().next();
      return new SubscriptionCounts(r.getLong("confirmed"), r.getLong("pending"));
    });
  }

  @Override
  public Future<DeliveryCounts> deliveryCounts(String topicArn) {
    return pool.preparedQuery(COUNT_DELIVERIES).execute(Tuple.of(topicArn)).map(rows -> {
      Row r = rows.iterator().next();
      return new DeliveryCounts(r.getLong("pending"), r.getLong("dead"));
    });
  }

  private static Topic topic(Row r) {
    OffsetDateTime created = r.getOffsetDateTime("created_at");
    return new Topic(r.getString("arn"), r.getString("account_id"), r.getString("name"), r.getString("display_name"),
        created == null ? null : created.toInstant());
  }

  private static Subscription subscription(Row r) {
    return new Subscription(r.getString("subscription_arn"), r.getString("topic_arn"), r.getString("account_id"),
        r.getString("protocol"), r.getString("endpoint"), r.getBoolean("confirmed"));
  }

  private static OffsetDateTime db(Instant t) {
    return t == null ? null : t.atOffset(ZoneOffset.UTC);
  }
}
