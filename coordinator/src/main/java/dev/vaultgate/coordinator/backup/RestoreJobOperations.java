package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * StartRestoreJob, DescribeRestoreJob, ListRestoreJobs: a restore waits PENDING for a gateway, with the point's
 * restore metadata under the caller's ({@link RestoreMetadata}).
 */
final class RestoreJobOperations {

  private final RestoreJobStore jobs;
  private final RecoveryPointStore points;

  RestoreJobOperations(RestoreJobStore jobs, RecoveryPointStore points) {
    this.jobs = jobs;
    this.points = points;
  }

  Future<JsonObject> start(CallContext call, JsonObject in) {
    String arn = in.getString("RecoveryPointArn");
    return points.findByArn(call.accountId(), arn).compose(p -> {
      if (p == null) throw RecoveryPointOperations.notFound(arn);
      if (!List.of("COMPLETED", "PARTIAL").contains(p.status())) {
        throw ApiException.invalidRequest("Recovery point " + arn + " is " + p.status() + " and cannot be restored");
      }
      String type = in.getString("ResourceType", p.resourceType());
      if (!type.equals(p.resourceType())) {
        throw ApiException.invalidParameter("ResourceType " + type + " does not match the recovery point's " + p.resourceType());
      }
      JsonObject metadata;
      try {
        metadata = new JsonObject(new LinkedHashMap<>(RestoreMetadata.merge(type, strings(p.restoreMetadata()),
            strings(in.getJsonObject("Metadata")))));
      } catch (RestoreMetadata.InvalidKeyException e) {
        throw ApiException.invalidParameter(e.getMessage());
      }
      RestoreJob job = new RestoreJob(UUID.randomUUID().toString().toUpperCase(Locale.ROOT), call.accountId(), arn,
          p.vaultArn(), p.resourceArn(), type, in.getString("IamRoleArn"), "PENDING", null, "0.0", p.sizeBytes(),
          metadata, null, p.createdAt(), Times.micros(call.receivedAt()), null,
          in.getString("IdempotencyToken"));
      return jobs.create(job);
    }).map(job -> new JsonObject().put("RestoreJobId", job.jobId()));
  }

  /** A metadata map as strings (AWS's Metadata is a map of strings; a number or boolean is taken as its text). */
  private static Map<String, String> strings(JsonObject json) {
    Map<String, String> out = new LinkedHashMap<>();
    if (json != null) {
      json.forEach(e -> out.put(e.getKey(), e.getValue() == null ? null : String.valueOf(e.getValue())));
    }
    return out;
  }

  Future<JsonObject> describe(CallContext call, JsonObject in) {
    String id = in.getString("RestoreJobId");
    return jobs.find(call.accountId(), id).map(job -> {
      if (job == null) throw ApiException.notFound("Restore job " + id + " does not exist");
      return describe(job);
    });
  }

  Future<JsonObject> list(CallContext call, JsonObject in) {
    String account = in.getString("ByAccountId");
    if ((account != null && !account.equals(call.accountId()))
        || in.getString("ByParentJobId") != null || in.getString("ByRestoreTestingPlanArn") != null) {
      return Future.succeededFuture(new JsonObject().put("RestoreJobs", new JsonArray()));
    }
    RestoreJob.Filter filter = new RestoreJob.Filter(in.getString("ByResourceType"), in.getString("ByStatus"),
        in.getInstant("ByCreatedBefore"), in.getInstant("ByCreatedAfter"), in.getInstant("ByCompleteBefore"),
        in.getInstant("ByCompleteAfter"));
    return jobs.list(call.accountId(), filter, in.getString("NextToken"), Page.limit(in.getLong("MaxResults")))
        .map(page -> {
          JsonArray list = new JsonArray();
          page.items().forEach(j -> list.add(describe(j)));
          return new JsonObject().put("RestoreJobs", list).put("NextToken", page.nextToken());
        });
  }

  private static JsonObject describe(RestoreJob j) {
    return new JsonObject()
        .put("AccountId", j.accountId())
        .put("RestoreJobId", j.jobId())
        .put("RecoveryPointArn", j.recoveryPointArn())
        .put("SourceResourceArn", j.sourceResourceArn())
        .put("BackupVaultArn", j.vaultArn())
        .put("CreationDate", Times.epoch(j.createdAt()))
        .put("CompletionDate", Times.epoch(j.completedAt()))
        .put("Status", j.status())
        .put("StatusMessage", j.statusMessage())
        .put("PercentDone", j.percentDone())
        .put("BackupSizeInBytes", j.backupSizeBytes())
        .put("IamRoleArn", j.iamRoleArn())
        .put("CreatedResourceArn", j.createdResourceArn())
        .put("ResourceType", j.resourceType())
        .put("RecoveryPointCreationDate", Times.epoch(j.recoveryPointCreatedAt()))
        .put("IsParent", false);
  }
}
