package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.backup.VmBackup;
import dev.vaultgate.agent.backup.VmBackupResult;
import dev.vaultgate.agent.disk.RetryingDiskReader;
import dev.vaultgate.agent.disk.StoppableDiskReader;
import dev.vaultgate.agent.disk.ThrottledDiskReader;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.vault.repo.RetentionLock;
import dev.vaultgate.vault.storage.RetentionMode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one leased backup job: finds the VM by its ARN, opens the job's vault, runs a CBT {@link VmBackup} that
 * continues from the VM's newest backup in that vault, and completes the job with the backup's size and the
 * restore metadata, or fails it with one line. The coordinator's recovery point ARN and job id are kept as labels
 * in the points' metadata, so a restore job finds the backup by the ARN it names. The outcome is written back to
 * the VM's custom attributes. Progress is the share of the current disk scanned (disks are read one after the other).
 */
final class BackupJobRunner {
  private static final Logger LOG = LoggerFactory.getLogger(BackupJobRunner.class);
  static final String LABEL_RECOVERY_POINT = "recoveryPointArn";

  private final GatewayAgent agent;
  private final JsonObject job;
  private final String jobId;
  private final String resourceArn;
  private final JobLease lease;
  private volatile VmInfo vm;

  BackupJobRunner(GatewayAgent agent, JsonObject job) {
    this.agent = agent;
    this.job = job;
    this.jobId = job.getString("jobId");
    this.resourceArn = job.getString("resourceArn");
    long leaseSeconds = agent.config().leaseSeconds();
    this.lease = new JobLease(agent, "backup-jobs", jobId, leaseSeconds,
        Duration.ofMillis(Math.min(leaseSeconds * 1000 / 3, 5_000)));
  }

  Future<JsonObject> run() {
    String location = agent.vaultLocation(job, "vaultLocation");
    if (location == null) {
      return lease.fail("backup job " + jobId + ": no vault location (the job names none and the gateway has no default)");
    }
    RetentionLock lock;
    try {
      lock = storageLock(job.getJsonObject("vaultLock"));
    } catch (RuntimeException e) {
      return lease.fail("backup job " + jobId + ": the job's vault lock cannot be read: " + e.getMessage());
    }
    return agent.vmOf(resourceArn)
        .compose(found -> {
          vm = found;
          return agent.vaults().openForWriting(location, lock, job.getString("encryptionKeyArn"));
        })
        .compose(opened -> VmBackup.run(agent.vsphere(), opened.repo(), options())
            .compose(result -> finish(opened, result))
            .eventually(() -> {
              opened.close();
              return Future.succeededFuture();
            }))
        .recover(this::failed);
  }

  /**
   * Completes the job; a job stopped while its last blocks were read (the stop came after the reads) is not
   * completed: its points are deleted and it is reported stopped.
   */
  private Future<JsonObject> finish(VaultAccess.Opened opened, VmBackupResult result) {
    if (lease.shouldStop()) {
      return discard(opened, result);
    }
    return complete(result).recover(e -> {
      if (e instanceof CoordinatorException c && "JobStopping".equals(c.type())) {
        lease.stopped();
        return discard(opened, result);
      }
      return Future.failedFuture(e);
    });
  }

  private Future<JsonObject> discard(VaultAccess.Opened opened, VmBackupResult result) {
    Future<Void> deleted = Future.succeededFuture();
    for (String id : result.pointIds()) {
      deleted = deleted.compose(v -> opened.repo().deletePoint(id));
    }
    return deleted.transform(ar -> Future.failedFuture(new IllegalStateException("the backup " + result.backupId()
        + " was written before the stop was seen; " + (ar.succeeded() ? "its recovery points were deleted"
        : "its recovery points could not all be deleted: " + ar.cause().getMessage()))));
  }

  /** The storage lock a locked vault is created with, from the job's {@code vaultLock}; null for a vault without one. */
  static RetentionLock storageLock(JsonObject vaultLock) {
    if (vaultLock == null) {
      return null;
    }
    Long min = vaultLock.getLong("minRetentionDays");
    Long max = vaultLock.getLong("maxRetentionDays");
    return new RetentionLock(RetentionMode.parse(vaultLock.getString("mode")),
        min == null || min == 0 ? Duration.ofSeconds(1) : Duration.ofDays(min), Duration.ofDays(max == null ? 36_500 : max));
  }

  /**
   * The retain-until the coordinator asked for, moved to at least the lock's minimum from now (the lease was
   * granted a moment ago, and a retention that falls short of the minimum is refused); null without one.
   */
  private Instant retainUntil(RetentionLock lock) {
    JsonObject vaultLock = job.getJsonObject("vaultLock");
    if (lock == null || vaultLock == null || vaultLock.getString("retainUntil") == null) {
      return null;
    }
    Instant asked = Instant.parse(vaultLock.getString("retainUntil"));
    Instant floor = Instant.now().plus(lock.minRetention());
    return asked.isBefore(floor) ? floor : asked;
  }

  private VmBackup.Options options() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_RECOVERY_POINT, job.getString("recoveryPointArn"));
    labels.put("backupJobId", jobId);
    labels.put("resourceArn", resourceArn);
    agent.vsphereTagsOf(resourceArn).forEach((category, name) -> labels.put("tag:" + category, name));
    // AWS's only backup option, WindowsVSS, asks for an application-consistent backup: here a quiesced snapshot,
    // which is also the default; "disabled" turns it off.
    JsonObject backupOptions = job.getJsonObject("backupOptions", new JsonObject());
    return VmBackup.Options.defaults(vm.name())
        .withQuiesce(!"disabled".equalsIgnoreCase(backupOptions.getString("WindowsVSS", "enabled")))
        .withLabels(labels)
        .withRetainUntil(retainUntil(storageLock(job.getJsonObject("vaultLock"))))
        .withReaders(r -> new ThrottledDiskReader(
            new StoppableDiskReader(new RetryingDiskReader(r, 3, Duration.ofMillis(500)), lease::shouldStop,
                "backup job " + jobId + " stopped"),
            agent.bandwidth()))
        .withProgress((done, total) -> lease.progress(total <= 0 ? 0 : Math.min(99.0, 100.0 * done / total), done));
  }

  private Future<JsonObject> complete(VmBackupResult result) {
    // VMPath is the VM's folder (AWS's meaning, and what a restore takes back); unknown is left blank.
    return agent.vsphere().vmFolderPath(vm).recover(e -> Future.succeededFuture("")).compose(folder -> complete(result, folder));
  }

  private Future<JsonObject> complete(VmBackupResult result, String folder) {
    long size = result.disks().stream().mapToLong(d -> d.backup().sourceBytes()).sum();
    JsonObject metadata = new JsonObject()
        .put("VMName", vm.name())
        .put("VMPath", folder)
        .put("ComputeResourceName", vm.computeResource() == null ? "" : vm.computeResource())
        .put("VMDatastore", vm.datastores().isEmpty() ? "" : vm.datastores().get(0))
        .put("vaultgate:backupId", result.backupId())
        .put("vaultgate:disks", String.join(",", result.disks().stream().map(VmBackupResult.DiskResult::diskName).toList()))
        .put("vaultgate:bytesRead", String.valueOf(result.bytesRead()))
        .put("vaultgate:bytesNew", String.valueOf(result.bytesNew()))
        .put("vaultgate:pointIds", String.join(",", result.pointIds())) // the coordinator's lock check reads their retention
        .put("vaultgate:quiesced", String.valueOf(result.quiesced()));
    LOG.info("backup job {}: VM {} backed up as {} (read {} B, new {} B)", jobId, vm.describe(), result.backupId(),
        result.bytesRead(), result.bytesNew());
    return lease.complete(new JsonObject().put("backupSizeInBytes", size).put("restoreMetadata", metadata))
        .compose(answer -> {
          String state = answer.getString("state", "COMPLETED");
          String point = answer.getString("recoveryPointArn");
          String shown = state.equals("COMPLETED") ? "COMPLETED" : state + ": " + answer.getString("statusMessage", "");
          return agent.writeOutcome(vm, shown, point).map(answer);
        });
  }

  private Future<JsonObject> failed(Throwable e) {
    String message = lease.shouldStop() ? lease.stopReason() + "; " + e.getMessage() : e.getMessage();
    LOG.warn("backup job {} failed: {}", jobId, message);
    String state = lease.stopRequested() ? "ABORTED" : "FAILED";
    return lease.fail(message)
        .compose(answer -> vm == null ? Future.succeededFuture(answer)
            : agent.writeOutcome(vm, state + ": " + message, null).map(answer));
  }
}
