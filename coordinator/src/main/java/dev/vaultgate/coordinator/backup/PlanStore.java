package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Backup plans, their versions and their selections, per account. */
public interface PlanStore {

  /**
   * Creates a plan and its first version. A live plan with the same creator request id is
   * returned instead (a retried create); a live plan with the same name fails with
   * AlreadyExistsException.
   */
  Future<BackupPlanVersion> create(BackupPlanVersion plan, Map<String, String> tags);

  /** The plan's current version, or the given one; a null result when there is none. */
  Future<BackupPlanVersion> find(String accountId, String planId, String versionId);

  /**
   * Adds a version made by {@code change} from the current document, under a row lock. A null
   * result when there is no live plan.
   */
  Future<BackupPlanVersion> update(
      String accountId, String planId, String newVersionId, Instant now, UnaryOperator<JsonObject> change);

  /**
   * Marks the plan deleted; fails with InvalidRequestException while selections remain. A null
   * result when there is no live plan.
   */
  Future<BackupPlanVersion> delete(String accountId, String planId, Instant now);

  Future<Page<BackupPlanVersion>> list(String accountId, boolean includeDeleted, String nextToken, int limit);

  /** Every version, newest first; a null result when there is no such plan. */
  Future<Page<BackupPlanVersion>> versions(String accountId, String planId, String nextToken, int limit);

  /**
   * Creates a selection on a live plan (a null result when there is none); a name taken in the
   * plan fails with AlreadyExistsException.
   */
  Future<BackupSelection> createSelection(BackupSelection selection);

  Future<BackupSelection> findSelection(String accountId, String planId, String selectionId);

  /** A null result when there is no such plan. */
  Future<Page<BackupSelection>> listSelections(String accountId, String planId, String nextToken, int limit);

  Future<Boolean> deleteSelection(String accountId, String planId, String selectionId);
}
