package dev.vaultgate.coordinator.wire;

/**
 * Told of every call a front answers, after the answer is written (the activity log is one).
 * It must not block: it runs on the event loop, and a failure in it never changes the answer.
 */
@FunctionalInterface
public interface CallObserver {

  CallObserver NONE = call -> {};

  void observed(ApiCall call);
}
