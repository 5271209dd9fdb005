package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.wire.ModelValidator;
import dev.vaultgate.coordinator.wire.OperationHandler;
import dev.vaultgate.coordinator.wire.ServiceModel;
import io.vertx.sqlclient.Pool;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The table of AWS Backup operations Vaultgate implements: operation name (as the service
 * model spells it) to handler. The REST-JSON front routes every other operation of the model
 * to a "not implemented" answer.
 */
public final class BackupApiRoutes {

  private BackupApiRoutes() {}

  public static Map<String, OperationHandler> handlers(ServiceModel model, Pool pool, String region) {
    return handlers(model, pool, region, Map.of());
  }

  /** The table plus handlers of other packages (Audit Manager's, keyed by operation name). */
  public static Map<String, OperationHandler> handlers(ServiceModel model, Pool pool, String region,
      Map<String, OperationHandler> more) {
    VaultStore vaultStore = new PgVaultStore(pool);
    PlanStore planStore = new PgPlanStore(pool);
    TagStore tagStore = new PgTagStore(pool);
    BackupJobStore jobStore = new PgBackupJobStore(pool);
    RecoveryPointStore pointStore = new PgRecoveryPointStore(pool);
    LegalHoldStore holdStore = new PgLegalHoldStore(pool);
    RestoreJobStore restoreStore = new PgRestoreJobStore(pool);
    CopyJobStore copyStore = new PgCopyJobStore(pool);

    VaultOperations vaults = new VaultOperations(vaultStore, new ModelValidator(model), region);
    TagOperations tags = new TagOperations(tagStore, vaultStore, planStore, pointStore, holdStore, region);
    PlanOperations plans = new PlanOperations(planStore, region);
    JobOperations jobs = new JobOperations(jobStore, vaultStore, region);
    RecoveryPointOperations points = new RecoveryPointOperations(pointStore, vaultStore);
    LegalHoldOperations holds = new LegalHoldOperations(holdStore, pointStore, tagStore, region);
    RestoreJobOperations restores = new RestoreJobOperations(restoreStore, pointStore);
    CopyJobOperations copies = new CopyJobOperations(copyStore, pointStore, vaultStore, region);

    Map<String, OperationHandler> h = new LinkedHashMap<>();
    h.put("CreateBackupVault", vaults::create);
    h.put("DescribeBackupVault", vaults::describe);
    h.put("ListBackupVaults", vaults::list);
    h.put("DeleteBackupVault", vaults::delete);
    h.put("PutBackupVaultLockConfiguration", vaults::putLock);
    h.put("DeleteBackupVaultLockConfiguration", vaults::deleteLock);
    h.put("PutBackupVaultAccessPolicy", vaults::putAccessPolicy);
    h.put("GetBackupVaultAccessPolicy", vaults::getAccessPolicy);
    h.put("DeleteBackupVaultAccessPolicy", vaults::deleteAccessPolicy);
    h.put("PutBackupVaultNotifications", vaults::putNotifications);
    h.put("GetBackupVaultNotifications", vaults::getNotifications);
    h.put("DeleteBackupVaultNotifications", vaults::deleteNotifications);

    h.put("TagResource", tags::tag);
    h.put("UntagResource", tags::untag);
    h.put("ListTags", tags::list);

    h.put("CreateBackupPlan", plans::create);
    h.put("GetBackupPlan", plans::get);
    h.put("UpdateBackupPlan", plans::update);
    h.put("DeleteBackupPlan", plans::delete);
    h.put("ListBackupPlans", plans::list);
    h.put("ListBackupPlanVersions", plans::versions);
    h.put("CreateBackupSelection", plans::createSelection);
    h.put("GetBackupSelection", plans::getSelection);
    h.put("ListBackupSelections", plans::listSelections);
    h.put("DeleteBackupSelection", plans::deleteSelection);

    h.put("StartBackupJob", jobs::start);
    h.put("DescribeBackupJob", jobs::describe);
    h.put("ListBackupJobs", jobs::list);
    h.put("StopBackupJob", jobs::stop);

    h.put("ListRecoveryPointsByBackupVault", points::listByVault);
    h.put("ListRecoveryPointsByResource", points::listByResource);
    h.put("DescribeRecoveryPoint", points::describe);
    h.put("UpdateRecoveryPointLifecycle", points::updateLifecycle);
    h.put("DeleteRecoveryPoint", points::delete);
    h.put("GetRecoveryPointRestoreMetadata", points::restoreMetadata);
    h.put("ListProtectedResources", points::listProtectedResources);
    h.put("DescribeProtectedResource", points::describeProtectedResource);

    h.put("StartRestoreJob", restores::start);
    h.put("DescribeRestoreJob", restores::describe);
    h.put("ListRestoreJobs", restores::list);
    h.put("StartCopyJob", copies::start);
    h.put("DescribeCopyJob", copies::describe);
    h.put("ListCopyJobs", copies::list);

    h.put("CreateLegalHold", holds::create);
    h.put("GetLegalHold", holds::get);
    h.put("ListLegalHolds", holds::list);
    h.put("CancelLegalHold", holds::cancel);
    h.put("ListRecoveryPointsByLegalHold", holds::recoveryPoints);
    h.putAll(more);
    return h;
  }
}
