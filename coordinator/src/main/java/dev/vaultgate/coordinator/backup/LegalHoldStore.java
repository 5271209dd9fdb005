package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;
import java.time.Instant;

/** Legal holds, per account. */
public interface LegalHoldStore {

  /** Creates the hold; with an idempotency token already used in the account, that hold is the result. */
  Future<LegalHold> create(LegalHold hold);

  Future<LegalHold> find(String accountId, String legalHoldId);

  /** Oldest first. */
  Future<Page<LegalHold>> list(String accountId, String nextToken, int limit);

  /**
   * Cancels an active hold under its row lock; a hold already cancelled fails with
   * InvalidResourceStateException; a null result when there is no such hold.
   */
  Future<LegalHold> cancel(String accountId, String legalHoldId, String description, Instant retainUntil, Instant now);
}
