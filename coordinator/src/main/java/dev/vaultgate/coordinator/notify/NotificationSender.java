package dev.vaultgate.coordinator.notify;

import io.vertx.core.Future;

/** Hands one notification to its subscriber; a failed future says why (one line) and the outbox retries. */
public interface NotificationSender {
  Future<Void> send(NotificationOutbox.Delivery delivery);
}
