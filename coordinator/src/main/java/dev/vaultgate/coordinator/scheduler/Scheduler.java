package dev.vaultgate.coordinator.scheduler;

import dev.vaultgate.coordinator.audit.ActivityEvents;
import dev.vaultgate.coordinator.audit.ActivityRecorder;
import dev.vaultgate.coordinator.backup.JobLeaseStore;
import dev.vaultgate.coordinator.backup.PgCopyAndRestoreLeases;
import dev.vaultgate.coordinator.backup.RecoveryPointStore;
import dev.vaultgate.coordinator.backup.ScheduledBackups;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
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

  private final ActivityRecorder activity;
  private final String region;

  public Scheduler(JobLeaseStore leases, ScheduledBackups schedules, RecoveryPointStore points,
      PgCopyAndRestoreLeases copiesAndRestores) {
    this(leases, schedules, points, copiesAndRestores, ActivityRecorder.NONE, "us-east-1");
  }

  /** With what each pass did recorded in the activity log as the service acting. */
  public Scheduler(JobLeaseStore leases, ScheduledBackups schedules, RecoveryPointStore points,
      PgCopyAndRestoreLeases copiesAndRestores, ActivityRecorder activity, String region) {
    this.activity = activity;
    this.region = region;
    this.copiesAndRestores = copiesAndRestores;
    this.leases = leases;
    this.schedules = schedules;
    this.points = points;
  }

  public Future<Tick> tick(Instant now) {
    return leases.sweep(now).compose(sweep ->
        copiesAndRestores.sweep(now).compose(others ->
            schedules.runDue(now).compose(scheduled ->
                schedules.applyLifecycle(now, points).map(lifecycle -> new Tick(sweep, scheduled, lifecycle, others)))))
        .onSuccess(tick -> record(tick, now));
  }

  /**
   * One service event per kind of work a pass did (nothing when it did nothing). The stores
   * report counts, not which jobs or points, so the events carry counts; naming each job is the
   * next step (it needs the stores to return what they touched).
   */
  private void record(Tick t, Instant now) {
    if (t.scheduled().jobs() > 0) {
      activity.record(ActivityEvents.serviceAction("StartScheduledBackupJobs", null, new JsonObject()
          .put("dueRuleTicks", t.scheduled().ticks()).put("backupJobsCreated", t.scheduled().jobs()), now, region));
    }
    if (t.sweep().total() > 0) {
      activity.record(ActivityEvents.serviceAction("EnforceBackupJobLeasesAndWindows", null, new JsonObject()
          .put("leasesExpiredJobsRequeued", t.sweep().requeued()).put("leasesExpiredJobsFailed", t.sweep().failed())
          .put("startWindowExpired", t.sweep().expired()).put("completionWindowAborted", t.sweep().aborted()),
          now, region));
    }
    if (t.copiesAndRestores().total() > 0) {
      activity.record(ActivityEvents.serviceAction("ExpireCopyAndRestoreJobLeases", null, new JsonObject()
          .put("jobsRequeued", t.copiesAndRestores().requeued()).put("jobsFailed", t.copiesAndRestores().failed()),
          now, region));
    }
    if (t.lifecycle().movedToCold() + t.lifecycle().deleted() + t.lifecycle().keptByHoldOrLock() > 0) {
      activity.record(ActivityEvents.serviceAction("ApplyRecoveryPointLifecycle", null, new JsonObject()
          .put("recoveryPointsMovedToCold", t.lifecycle().movedToCold())
          .put("recoveryPointsDeleted", t.lifecycle().deleted())
          .put("recoveryPointsKeptByLegalHoldOrVaultLock", t.lifecycle().keptByHoldOrLock()), now, region));
    }
  }
}
