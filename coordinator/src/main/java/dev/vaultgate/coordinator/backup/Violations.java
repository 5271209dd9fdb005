package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.RuleViolation;
import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;

/** Turns rule violations into the AWS errors that answer them. */
final class Violations {

  private Violations() {}

  static ApiException toApi(RuleViolation v) {
    return switch (v.kind()) {
      case STATE -> ApiException.invalidRequest(v.getMessage());
      case HELD -> ApiException.of("InvalidResourceStateException", v.getMessage());
      case VALUE -> ApiException.invalidParameter(v.getMessage());
    };
  }

  /** Runs a check, answering a violation as its AWS error. */
  static void check(Runnable check) {
    try {
      check.run();
    } catch (RuleViolation v) {
      throw toApi(v);
    }
  }

  /** For {@code recover}: a violation raised inside a store's transaction becomes its AWS error. */
  static <T> Future<T> recover(Throwable e) {
    return Future.failedFuture(e instanceof RuleViolation v ? toApi(v) : e);
  }
}
