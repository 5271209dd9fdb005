package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;

/**
 * Backup jobs as gateways work them: lease the oldest waiting job, report progress (which
 * renews the lease), fail; and the sweep that enforces leases and windows. Leasing takes the
 * job's row with {@code FOR UPDATE SKIP LOCKED}, so replicas and gateways racing for work never
 * get one job twice.
 */
public interface JobLeaseStore {

  /** A job leased to a gateway until {@code expiresAt}. */
  record Lease(BackupJob job, String gatewayId, Instant expiresAt) {}

  /** What one sweep changed. */
  record Sweep(int requeued, int failed, int expired, int aborted) {
    public int total() {
      return requeued + failed + expired + aborted;
    }
  }

  /**
   * Leases the account's oldest job that waits (CREATED or PENDING) and is still within its
   * start window, among those whose resource this gateway reported or no gateway reported; the
   * job becomes RUNNING. A null result when there is none.
   */
  Future<Lease> lease(String accountId, String gatewayId, Instant now, Duration leaseFor);

  /**
   * Records progress of a job the gateway holds and renews its lease. The result carries the
   * job's state: ABORTING tells the gateway to stop. Fails with {@link LeaseException} when the
   * gateway does not hold the job's lease (any more), or when its completion window has passed
   * (the job is ABORTED then).
   */
  Future<Lease> progress(String accountId, String gatewayId, String jobId, String percentDone, Long bytesTransferred,
      Instant now, Duration leaseFor);

  /**
   * Ends a job the gateway holds: FAILED with the gateway's message, or ABORTED when a
   * StopBackupJob asked for it to stop.
   */
  Future<BackupJob> fail(String accountId, String gatewayId, String jobId, String message, Instant now);

  /**
   * Enforces leases and windows, on any replica, any number of times: a job still RUNNING past
   * its completion window is ABORTED; an expired lease puts its job back (PENDING) while the
   * start and completion windows allow, else the job FAILS (an ABORTING one is ABORTED); a job
   * nobody started within its start window is EXPIRED.
   */
  Future<Sweep> sweep(Instant now);

  /** Checks that {@code gatewayId} holds the lease of {@code job} and may still finish it. */
  static void checkHolder(BackupJob job, String leaseOwner, String gatewayId, Instant now) {
    if (!gatewayId.equals(leaseOwner) || !(job.state().equals("RUNNING") || job.state().equals("ABORTING"))) {
      throw new LeaseException(LeaseException.Reason.NOT_HELD, "Backup job " + job.jobId() + " is " + job.state()
          + (leaseOwner == null ? "" : " and leased to " + leaseOwner) + ": gateway " + gatewayId
          + " does not hold its lease");
    }
    if (job.completeBy() != null && !now.isBefore(job.completeBy())) {
      throw new LeaseException(LeaseException.Reason.WINDOW_PASSED, "Backup job " + job.jobId()
          + " did not complete within its completion window (" + job.completeWindowMinutes() + " minutes)");
    }
  }
}
