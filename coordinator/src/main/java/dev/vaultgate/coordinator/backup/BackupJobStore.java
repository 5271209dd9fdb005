package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;
import java.time.Instant;

/** Backup jobs, per account. */
public interface BackupJobStore {

  /**
   * Creates the job; when the account already has a job with the same idempotency token, that
   * job is the result instead.
   */
  Future<BackupJob> create(BackupJob job);

  /** The job, or a null result. */
  Future<BackupJob> find(String accountId, String jobId);

  /** Newest first. */
  Future<Page<BackupJob>> list(String accountId, BackupJob.Filter filter, String nextToken, int limit);

  /**
   * Stops a job under a row lock: one no gateway has started is ABORTED at once, a running one
   * becomes ABORTING. A job that has ended fails with InvalidRequestException; a null result
   * when there is no such job.
   */
  Future<BackupJob> stop(String accountId, String jobId, Instant now);
}
