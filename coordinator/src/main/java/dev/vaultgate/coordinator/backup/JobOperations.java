package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.BackupArns;
import dev.vaultgate.coordinator.rules.BackupRuleSpec;
import dev.vaultgate.coordinator.rules.LifecycleRules;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;

/**
 * On-demand backup jobs: StartBackupJob, DescribeBackupJob, ListBackupJobs, StopBackupJob. A
 * started job waits in CREATED until a gateway leases it (the agent API), or until its start
 * window passes.
 */
final class JobOperations {

  private final BackupJobStore jobs;
  private final VaultStore vaults;
  private final String region;

  JobOperations(BackupJobStore jobs, VaultStore vaults, String region) {
    this.jobs = jobs;
    this.vaults = vaults;
    this.region = region;
  }

  Future<JsonObject> start(CallContext call, JsonObject in) {
    String vaultName = in.getString("BackupVaultName");
    String resourceArn = in.getString("ResourceArn");
    Long startWindow = in.getLong("StartWindowMinutes");
    Long completeWindow = in.getLong("CompleteWindowMinutes");
    JsonObject lifecycle = in.getJsonObject("Lifecycle");
    Long deleteAfter = lifecycle == null ? null : lifecycle.getLong("DeleteAfterDays");
    Violations.check(() -> {
      BackupRuleSpec.checkWindows("StartBackupJob", startWindow, completeWindow);
      if (lifecycle != null) {
        LifecycleRules.check("Lifecycle", lifecycle.getLong("MoveToColdStorageAfterDays"), deleteAfter);
      }
    });
    String resourceType = resourceType(resourceArn);
    return vaults.find(call.accountId(), vaultName).compose(vault -> {
      if (vault == null) throw VaultOperations.notFound(vaultName);
      if (vault.lock() != null) Violations.check(() -> vault.lock().checkRetention(deleteAfter));
      Instant now = Times.micros(call.receivedAt());
      long start = startWindow == null ? BackupRuleSpec.DEFAULT_START_WINDOW_MINUTES : startWindow;
      long complete = completeWindow == null ? BackupRuleSpec.DEFAULT_COMPLETION_WINDOW_MINUTES : completeWindow;
      String jobId = UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
      BackupJob job = new BackupJob(jobId, call.accountId(), vault.name(), vault.arn(),
          BackupArns.recoveryPoint(region, call.accountId(), UUID.randomUUID().toString()),
          resourceArn, resourceType, in.getString("IamRoleArn"), "CREATED", null, "0.0", null, null, now,
          now.plus(Duration.ofMinutes(start)), complete, null, null, lifecycle,
          in.getJsonObject("RecoveryPointTags"), in.getJsonObject("BackupOptions"), null,
          in.getString("IdempotencyToken"));
      return jobs.create(job);
    }).map(job -> new JsonObject()
        .put("BackupJobId", job.jobId())
        .put("RecoveryPointArn", job.recoveryPointArn())
        .put("CreationDate", Times.epoch(job.createdAt()))
        .put("IsParent", false));
  }

  Future<JsonObject> describe(CallContext call, JsonObject in) {
    String jobId = in.getString("BackupJobId");
    return jobs.find(call.accountId(), jobId).map(job -> {
      if (job == null) throw notFound(jobId);
      return describe(job)
          .put("BackupOptions", job.backupOptions())
          .put("NumberOfChildJobs", 0L);
    });
  }

  Future<JsonObject> list(CallContext call, JsonObject in) {
    String account = in.getString("ByAccountId");
    if ((account != null && !account.equals(call.accountId())) || in.getString("ByParentJobId") != null) {
      return Future.succeededFuture(new JsonObject().put("BackupJobs", new JsonArray()));
    }
    BackupJob.Filter filter = new BackupJob.Filter(
        in.getString("ByResourceArn"), in.getString("ByState"), in.getString("ByBackupVaultName"),
        in.getInstant("ByCreatedBefore"), in.getInstant("ByCreatedAfter"), in.getString("ByResourceType"),
        in.getInstant("ByCompleteAfter"), in.getInstant("ByCompleteBefore"));
    return jobs.list(call.accountId(), filter, in.getString("NextToken"), Page.limit(in.getLong("MaxResults")))
        .map(page -> {
          JsonArray list = new JsonArray();
          page.items().forEach(j -> list.add(describe(j).put("BackupOptions", j.backupOptions())));
          return new JsonObject().put("BackupJobs", list).put("NextToken", page.nextToken());
        });
  }

  Future<JsonObject> stop(CallContext call, JsonObject in) {
    String jobId = in.getString("BackupJobId");
    return jobs.stop(call.accountId(), jobId, Times.micros(call.receivedAt())).map(job -> {
      if (job == null) throw notFound(jobId);
      return new JsonObject();
    });
  }

  /**
   * The resource type AWS Backup reports for an ARN: VMware VMs behind a gateway are
   * {@code VirtualMachine}, a gateway appliance's local volumes {@code LocalVolume} (Vaultgate's own); other
   * services by their usual names.
   */
  static String resourceType(String arn) {
    String[] p = arn.split(":", 6);
    if (p.length < 6 || !p[0].equals("arn")) {
      throw ApiException.invalidParameter("ResourceArn '" + arn + "' is not an ARN");
    }
    return switch (p[2]) {
      case "backup-gateway" -> p[5].startsWith("local-volume/") ? "LocalVolume" : "VirtualMachine";
      case "ec2" -> p[5].startsWith("volume/") ? "EBS" : "EC2";
      case "s3" -> "S3";
      case "rds" -> "RDS";
      case "dynamodb" -> "DynamoDB";
      case "elasticfilesystem" -> "EFS";
      default -> throw ApiException.invalidParameter(
          "ResourceArn '" + arn + "' names a resource type that Vaultgate does not back up");
    };
  }

  static ApiException notFound(String jobId) {
    return ApiException.notFound("Backup job " + jobId + " does not exist");
  }

  private static JsonObject describe(BackupJob j) {
    return new JsonObject()
        .put("AccountId", j.accountId())
        .put("BackupJobId", j.jobId())
        .put("BackupVaultName", j.vaultName())
        .put("BackupVaultArn", j.vaultArn())
        .put("VaultType", "BACKUP_VAULT")
        .put("RecoveryPointArn", j.recoveryPointArn())
        .put("RecoveryPointLifecycle", j.lifecycle())
        .put("ResourceArn", j.resourceArn())
        .put("CreationDate", Times.epoch(j.createdAt()))
        .put("CompletionDate", Times.epoch(j.completedAt()))
        .put("State", j.state())
        .put("StatusMessage", j.statusMessage())
        .put("PercentDone", j.percentDone())
        .put("BackupSizeInBytes", j.backupSizeBytes())
        .put("BytesTransferred", j.bytesTransferred())
        .put("IamRoleArn", j.iamRoleArn())
        .put("CreatedBy", j.createdBy())
        .put("ResourceType", j.resourceType())
        .put("StartBy", Times.epoch(j.startBy()))
        .put("BackupType", "FULL")
        .put("IsParent", false)
        .put("InitiationDate", Times.epoch(j.createdAt()))
        .put("IsEncrypted", true);
  }
}
