package dev.vaultgate.coordinator.audit;

/** Takes events to record; never blocks and never fails its caller. */
@FunctionalInterface
public interface ActivityRecorder {

  ActivityRecorder NONE = event -> {};

  void record(ActivityEvent event);
}
