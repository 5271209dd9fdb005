package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;

/** Restore jobs, per account. */
public interface RestoreJobStore {

  /** Creates the job; with an idempotency token already used in the account, that job is the result. */
  Future<RestoreJob> create(RestoreJob job);

  Future<RestoreJob> find(String accountId, String jobId);

  /** Newest first. */
  Future<Page<RestoreJob>> list(String accountId, RestoreJob.Filter filter, String nextToken, int limit);
}
