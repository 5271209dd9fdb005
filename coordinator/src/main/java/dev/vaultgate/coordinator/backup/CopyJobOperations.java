package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.BackupArns;
import dev.vaultgate.coordinator.rules.LifecycleRules;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * StartCopyJob, DescribeCopyJob, ListCopyJobs. A copy into a vault of the caller's own account
 * and region must name a vault that exists and whose lock accepts the copy's retention (else the
 * call fails). A copy into another account's or region's vault is checked by {@link
 * CopyDestinations} (the vault exists with that ARN, its access policy allows the caller's account,
 * its lock accepts the retention); when refused the job is created FAILED with the reason.
 */
final class CopyJobOperations {

  private final CopyJobStore jobs;
  private final RecoveryPointStore points;
  private final VaultStore vaults;
  private final String region;

  CopyJobOperations(CopyJobStore jobs, RecoveryPointStore points, VaultStore vaults, String region) {
    this.jobs = jobs;
    this.points = points;
    this.vaults = vaults;
    this.region = region;
  }

  Future<JsonObject> start(CallContext call, JsonObject in) {
    String sourceVault = in.getString("SourceBackupVaultName");
    String arn = in.getString("RecoveryPointArn");
    String destination = in.getString("DestinationBackupVaultArn");
    JsonObject lifecycle = in.getJsonObject("Lifecycle");
    Long deleteAfter = lifecycle == null ? null : lifecycle.getLong("DeleteAfterDays");
    if (!BackupArns.isBackupVaultArn(destination)) {
      throw ApiException.invalidParameter("DestinationBackupVaultArn '" + destination + "' is not a backup vault ARN");
    }
    if (lifecycle != null) {
      Violations.check(() -> LifecycleRules.check("Lifecycle", lifecycle.getLong("MoveToColdStorageAfterDays"), deleteAfter));
    }
    String[] d = destination.split(":", 7);
    boolean local = d[3].equals(region) && d[4].equals(call.accountId());
    return points.find(call.accountId(), sourceVault, arn).compose(p -> {
      if (p == null) throw RecoveryPointOperations.notFound(arn);
      if (!List.of("COMPLETED", "PARTIAL").contains(p.status())) {
        throw ApiException.invalidRequest("Recovery point " + arn + " is " + p.status() + " and cannot be copied");
      }
      Future<String> refusal = local ? vaults.find(call.accountId(), d[6]).map(v -> {
        if (v == null) throw VaultOperations.notFound(d[6]);
        if (v.name().equals(sourceVault)) throw ApiException.invalidParameter("A recovery point cannot be copied into its own vault");
        if (v.lock() != null) Violations.check(() -> v.lock().checkRetention(deleteAfter));
        return null;
      }) : vaults.find(d[4], d[6]).compose(v -> v == null
          ? Future.succeededFuture(CopyDestinations.refusal(call.accountId(), p.vaultArn(), destination, null, null, null, deleteAfter))
          : vaults.settings(d[4], d[6]).map(settings -> CopyDestinations.refusal(call.accountId(), p.vaultArn(), destination,
              v.arn(), v.lock(), settings == null ? null : settings.accessPolicy(), deleteAfter)));
      // Another account's or region's vault that refuses the copy: the call succeeds and the job FAILS, as on AWS.
      return refusal.compose(message -> jobs.create(new CopyJob(UUID.randomUUID().toString().toUpperCase(Locale.ROOT),
          call.accountId(), p.vaultArn(), arn, destination,
          BackupArns.recoveryPoint(d[3], d[4], UUID.randomUUID().toString()), p.resourceArn(), p.resourceType(),
          in.getString("IamRoleArn"), message == null ? "CREATED" : "FAILED", message, p.sizeBytes(), lifecycle, null,
          Times.micros(call.receivedAt()), message == null ? null : Times.micros(call.receivedAt()),
          in.getString("IdempotencyToken"))));
    }).map(job -> new JsonObject()
        .put("CopyJobId", job.jobId())
        .put("CreationDate", Times.epoch(job.createdAt()))
        .put("IsParent", false));
  }

  Future<JsonObject> describe(CallContext call, JsonObject in) {
    String id = in.getString("CopyJobId");
    return jobs.find(call.accountId(), id).map(job -> {
      if (job == null) throw ApiException.notFound("Copy job " + id + " does not exist");
      return new JsonObject().put("CopyJob", describe(job));
    });
  }

  Future<JsonObject> list(CallContext call, JsonObject in) {
    String account = in.getString("ByAccountId");
    if ((account != null && !account.equals(call.accountId())) || in.getString("ByParentJobId") != null) {
      return Future.succeededFuture(new JsonObject().put("CopyJobs", new JsonArray()));
    }
    CopyJob.Filter filter = new CopyJob.Filter(in.getString("ByResourceArn"), in.getString("ByState"),
        in.getInstant("ByCreatedBefore"), in.getInstant("ByCreatedAfter"), in.getString("ByResourceType"),
        in.getString("ByDestinationVaultArn"), in.getInstant("ByCompleteBefore"), in.getInstant("ByCompleteAfter"),
        in.getString("BySourceRecoveryPointArn"));
    return jobs.list(call.accountId(), filter, in.getString("NextToken"), Page.limit(in.getLong("MaxResults")))
        .map(page -> {
          JsonArray list = new JsonArray();
          page.items().forEach(j -> list.add(describe(j)));
          return new JsonObject().put("CopyJobs", list).put("NextToken", page.nextToken());
        });
  }

  private static JsonObject describe(CopyJob j) {
    return new JsonObject()
        .put("AccountId", j.accountId())
        .put("CopyJobId", j.jobId())
        .put("SourceBackupVaultArn", j.sourceVaultArn())
        .put("SourceRecoveryPointArn", j.sourceRecoveryPointArn())
        .put("DestinationBackupVaultArn", j.destinationVaultArn())
        .put("DestinationRecoveryPointArn", j.destinationRecoveryPointArn())
        .put("DestinationRecoveryPointLifecycle", j.lifecycle())
        .put("ResourceArn", j.resourceArn())
        .put("CreationDate", Times.epoch(j.createdAt()))
        .put("CompletionDate", Times.epoch(j.completedAt()))
        .put("State", j.state())
        .put("StatusMessage", j.statusMessage())
        .put("BackupSizeInBytes", j.backupSizeBytes())
        .put("IamRoleArn", j.iamRoleArn())
        .put("CreatedBy", j.createdBy())
        .put("ResourceType", j.resourceType())
        .put("IsParent", false);
  }
}
