package dev.vaultgate.coordinator.notify;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The notifications waiting for delivery, one per (event, subscription). The database adds them
 * in the transaction of each state change; workers claim, deliver and settle them.
 */
public interface NotificationOutbox {

  /**
   * One claimed delivery. {@code claimedAt} is the database's clock, which ages and retry times
   * are counted on (replicas' clocks may differ).
   */
  record Delivery(long id, String subscriptionArn, String protocol, String endpoint, String signingSecret,
      String eventType, JsonObject message, int attempts, Instant createdAt, Instant claimedAt) {}

  /** A delivery given up: for the operator's list. */
  record Dead(long id, String subscriptionArn, String endpoint, String eventType, JsonObject message, int attempts,
      String lastError, Instant createdAt, Instant deadAt) {}

  /**
   * Claims up to {@code limit} due deliveries for this worker: they become due again only after
   * {@code hold}, so a worker that dies mid-delivery delays them without losing them, and
   * concurrent workers (replicas) never claim the same one.
   */
  Future<List<Delivery>> claim(int limit, Duration hold);

  /** Delivered: the row goes. */
  Future<Void> delivered(long id);

  /** Failed this time; tried again after {@code wait}. */
  Future<Void> retryAfter(long id, Duration wait, String error);

  /** Given up: kept as DEAD with the last error. */
  Future<Void> dead(long id, String error);

  /** The dead deliveries of a topic, oldest first. */
  Future<List<Dead>> dead(String topicArn, int limit);
}
