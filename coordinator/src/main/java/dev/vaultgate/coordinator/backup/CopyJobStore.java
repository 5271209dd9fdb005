package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;

/** Copy jobs, per account. */
public interface CopyJobStore {

  /** Creates the job; with an idempotency token already used in the account, that job is the result. */
  Future<CopyJob> create(CopyJob job);

  Future<CopyJob> find(String accountId, String jobId);

  /** Newest first. */
  Future<Page<CopyJob>> list(String accountId, CopyJob.Filter filter, String nextToken, int limit);
}
