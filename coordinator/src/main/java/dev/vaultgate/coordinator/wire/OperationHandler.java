package dev.vaultgate.coordinator.wire;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The semantics of one operation. The input has been validated against the operation's input
 * shape: members are typed (strings, {@code Long} for integers, {@code Boolean},
 * {@link java.time.Instant} for timestamps, nested {@code JsonObject}/{@code JsonArray}).
 * The result is the output shape's members, timestamps as epoch seconds; failures are
 * {@link ApiException}s.
 */
@FunctionalInterface
public interface OperationHandler {
  Future<JsonObject> handle(CallContext call, JsonObject input);
}
