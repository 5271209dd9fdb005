package dev.vaultgate.coordinator.notify;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;

/** SNS topics and their subscriptions, per account. */
public interface TopicStore {

  record Topic(String arn, String accountId, String name, String displayName, Instant createdAt) {}

  /** A subscription; the signing secret and the token are only ever read by the delivery worker. */
  record Subscription(String arn, String topicArn, String accountId, String protocol, String endpoint,
      boolean confirmed) {}

  /** Delivery counts of a topic: pending (not yet delivered) and dead (given up). */
  record DeliveryCounts(long pending, long dead) {}

  /** A topic's subscriptions: confirmed, and waiting for their endpoint to confirm. */
  record SubscriptionCounts(long confirmed, long pending) {}

  /** Creates the topic, or answers the existing one of that name (CreateTopic is idempotent). */
  Future<Topic> create(Topic topic);

  Future<Topic> find(String accountId, String arn);

  /** One page of the account's topics by ARN, after {@code afterArn} (null: from the start). */
  Future<List<Topic>> list(String accountId, String afterArn, int limit);

  /** Deletes the topic with its subscriptions and their pending deliveries; false when there is none. */
  Future<Boolean> delete(String accountId, String arn);

  /**
   * Subscribes (unconfirmed), or answers the existing subscription of the same protocol and
   * endpoint (then the secret given is not stored: {@code created} is false). While the
   * subscription is unconfirmed, a SubscriptionConfirmation message ({@code confirmation} of its
   * token) goes into the outbox in the same transaction. Null when the topic does not exist.
   */
  Future<Subscribed> subscribe(Subscription subscription, String signingSecret, String token,
      Function<String, JsonObject> confirmation);

  /** Confirms the subscription of the topic that was sent {@code token}; null when none was. */
  Future<Subscription> confirm(String topicArn, String token);

  record Subscribed(Subscription subscription, boolean created) {}

  /** Deletes the subscription and its pending deliveries; false when there is none. */
  Future<Boolean> unsubscribe(String accountId, String subscriptionArn);

  /** One page of a topic's subscriptions, or with a null topic the account's, by ARN after {@code afterArn}. */
  Future<List<Subscription>> subscriptions(String accountId, String topicArn, String afterArn, int limit);

  Future<SubscriptionCounts> subscriptionCounts(String topicArn);

  Future<DeliveryCounts> deliveryCounts(String topicArn);
}
