package dev.vaultgate.coordinator.scheduler;

import dev.vaultgate.coordinator.backup.JobLeaseStore;
import dev.vaultgate.coordinator.backup.PgCopyAndRestoreLeases;
import dev.vaultgate.coordinator.backup.RecoveryPointStore;
import dev.vaultgate.coordinator.backup.ScheduledBackups;
import io.vertx.core.Future;
import java.time.Instant;

/**
 * One pass of the scheduler at a given time: enforce leases and windows (of backup, copy and
 * restore jobs), create the due scheduled jobs, apply lifecycles. Time is a parameter, so tests run years of schedule by
 * calling {@link #tick} with the instants they choose.
 */
public final class Scheduler {

  /** What one pass did. */
  public record Tick(JobLeaseStore.Sweep sweep, ScheduledBackups.Result scheduled, ScheduledBackups.Result lifecycle,
      PgCopyAndRestoreLeases.Sweep copiesAndRestores) {}

  private final JobLeaseStore leases;
  private final ScheduledBackups schedules;
  private final RecoveryPointStore points;
  private final PgCopyAndRestoreLeases copiesAndRestores;

  public Scheduler(JobLeaseStore leases, ScheduledBackups schedules, RecoveryPointStore points,
      PgCopyAndRestoreLeases copiesAndRestores) {
    this.copiesAndRestores = copiesAndRestores;
    this.leases = leases;
    this.schedules = schedules;
    this.points = points;
  }

  public Future<Tick> tick(Instant now) {
    return leases.sweep(now).compose(sweep ->
        copiesAndRestores.sweep(now).compose(others ->
            schedules.runDue(now).compose(scheduled ->
                schedules.applyLifecycle(now, points).map(lifecycle -> new Tick(sweep, scheduled, lifecycle, others)))));
  }
}
