package dev.vaultgate.coordinator.audit;

import java.util.function.Supplier;

/** Takes events to record; never blocks and never fails its caller. */
@FunctionalInterface
public interface ActivityRecorder {

  ActivityRecorder NONE = event -> {};

  void record(ActivityEvent event);

  /**
   * Records the event {@code build} makes, built where the recorder chooses (the activity log
   * builds it on its worker, off the caller's event loop). {@code build} must only read values
   * captured for it.
   */
  default void recordLater(Supplier<ActivityEvent> build) {
    record(build.get());
  }
}
