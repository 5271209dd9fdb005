package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.backup.VmRecoveryPoint;
import dev.vaultgate.agent.backup.VmRecoveryPoints;
import dev.vaultgate.agent.restore.DiskSelection;
import dev.vaultgate.agent.restore.VmRestore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one leased restore job. The backup is found in the vault by the recovery point ARN the job names; where it
 * goes is AWS's VMware restore metadata:
 * <ul>
 *   <li>{@code RestoreTo=VMware} (the default): a new VM named {@code VMName}, on {@code VMDatastore} and
 *       {@code ComputeResourceName} (the source VM's when absent), in the VM folder {@code VMPath} (the
 *       datacenter's when absent), powered on when {@code PowerOn} is true;</li>
 *   <li>{@code RestoreTo=LocalFile}: each disk to {@code <TargetDirectory>/<VMName or source name>-<disk>.img}
 *       on the gateway.</li>
 *   <li>a local volume's point ({@code LocalVolume}): to {@code <TargetDirectory>/<volume>.img} on the gateway;</li>
 *   <li>either way, only the disks {@code DisksToRestore} names when it is given ({@link DiskSelection}).</li>
 * </ul>
 * The created resource is the new VM's ARN, or a {@code file/} ARN naming the first file written.
 */
final class RestoreJobRunner {
  private static final Logger LOG = LoggerFactory.getLogger(RestoreJobRunner.class);

  private final GatewayAgent agent;
  private final JsonObject job;
  private final String jobId;
  private final JsonObject metadata;
  private final JobLease lease;

  RestoreJobRunner(GatewayAgent agent, JsonObject job) {
    this.agent = agent;
    this.job = job;
    this.jobId = job.getString("jobId");
    this.metadata = job.getJsonObject("metadata", new JsonObject());
    long leaseSeconds = agent.config().leaseSeconds();
    this.lease = new JobLease(agent, "restore-jobs", jobId, leaseSeconds,
        Duration.ofMillis(Math.min(leaseSeconds * 1000 / 3, 5_000)));
  }

  Future<JsonObject> run() {
    String location = agent.vaultLocation(job, "vaultLocation");
    String pointArn = job.getString("recoveryPointArn");
    if (location == null) {
      return lease.fail("restore job " + jobId + ": no vault location (the job names none and the gateway has no default)");
    }
    if ("LocalVolume".equals(job.getString("resourceType"))) {
      return agent.vaults().open(location, null, job.getString("encryptionKeyArn"))
          .compose(opened -> localVolume(opened).eventually(() -> {
            opened.close();
            return Future.succeededFuture();
          }))
          .compose(created -> lease.complete(new JsonObject().put("createdResourceArn", created)))
          .recover(e -> lease.fail(String.valueOf(e.getMessage()).startsWith("cannot ") ? e.getMessage()
              : "cannot restore " + pointArn + ": " + e.getMessage()));
    }
    return agent.vaults().open(location, null, job.getString("encryptionKeyArn"))
        .compose(opened -> VmRecoveryPoints.withLabel(opened.repo(), BackupJobRunner.LABEL_RECOVERY_POINT, pointArn)
            .compose(point -> restore(opened, point))
            .eventually(() -> {
              opened.close();
              return Future.succeededFuture();
            }))
        .compose(created -> lease.complete(new JsonObject().put("createdResourceArn", created)))
        .recover(e -> {
          String cause = String.valueOf(e.getMessage());
          String message = cause.startsWith("cannot ") ? cause : "cannot restore " + pointArn + ": " + cause;
          LOG.warn("restore job {} failed: {}", jobId, message);
          return lease.fail(message);
        });
  }

  private Future<String> restore(VaultAccess.Opened opened, VmRecoveryPoint point) {
    String to = metadata.getString("RestoreTo", "VMware");
    String name = blankToNull(metadata.getString("VMName"));
    List<String> disks;
    try {
      disks = DiskSelection.parse(metadata.getString("DisksToRestore"), point.metadata().hardware(), point.diskNames());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    if (to.equalsIgnoreCase("LocalFile")) {
      return toFiles(opened, point, name == null ? point.metadata().vmName() : name, disks == null ? point.diskNames() : disks);
    }
    if (!to.equalsIgnoreCase("VMware")) {
      return Future.failedFuture(new IllegalArgumentException("restore metadata RestoreTo must be VMware or LocalFile, got " + to));
    }
    if (name == null) {
      return Future.failedFuture(new IllegalArgumentException("restore metadata VMName is missing: name the new VM"));
    }
    VmRestore.Options options = VmRestore.Options.named(name, agent.config().stagingDir())
        .withPowerOn(Boolean.parseBoolean(metadata.getString("PowerOn", "false").toLowerCase(Locale.ROOT)))
        .withDatastore(blankToNull(metadata.getString("VMDatastore")))
        .withComputeResource(blankToNull(metadata.getString("ComputeResourceName")))
        .withFolder(folderOf(metadata.getString("VMPath")))
        .withDisks(disks);
    lease.progress(1, 0);
    return VmRestore.toVsphere(agent.vsphere(), opened.repo(), point, options)
        .map(result -> VmResources.arn(agent.config().region(), agent.accountId(), result.vm().instanceUuid()));
  }

  private Future<String> toFiles(VaultAccess.Opened opened, VmRecoveryPoint point, String name, List<String> disks) {
    String dir = blankToNull(metadata.getString("TargetDirectory"));
    if (dir == null || !Path.of(dir).isAbsolute()) {
      return Future.failedFuture(new IllegalArgumentException("restore metadata TargetDirectory must be an absolute directory on the"
          + " gateway, got " + dir));
    }
    List<Path> files = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String disk : disks) {
      Path target = Path.of(dir).resolve(name + "-" + disk.replace(':', '_') + ".img");
      files.add(target);
      chain = chain.compose(v -> VmRestore.diskToFile(opened.repo(), point, disk, target).mapEmpty());
    }
    return chain.map(v -> "arn:aws:backup-gateway:" + agent.config().region() + ":" + agent.accountId() + ":file/"
        + files.get(0).toString().replaceFirst("^/", ""));
  }

  /**
   * A local volume's point (restore metadata {@code vaultgate:recoveryPointId}) to {@code
   * <TargetDirectory>/<volume>.img} on the gateway; an existing file is not overwritten.
   */
  private Future<String> localVolume(VaultAccess.Opened opened) {
    String dir = blankToNull(metadata.getString("TargetDirectory"));
    String pointId = blankToNull(metadata.getString("vaultgate:recoveryPointId"));
    if (dir == null || !Path.of(dir).isAbsolute()) {
      return Future.failedFuture(new IllegalArgumentException("restore metadata TargetDirectory must be an absolute directory on the"
          + " gateway, got " + dir));
    }
    if (pointId == null) {
      return Future.failedFuture(new IllegalArgumentException("restore metadata vaultgate:recoveryPointId is missing"));
    }
    String source = job.getString("sourceResourceArn", "");
    String name = metadata.getString("vaultgate:localVolume", source.substring(source.lastIndexOf('/') + 1));
    Path target = Path.of(dir).resolve(name + ".img");
    lease.progress(1, 0);
    return opened.repo().loadPoint(pointId)
        .compose(m -> dev.vaultgate.vault.backup.RestoreJob.run(opened.repo(), m, target,
            dev.vaultgate.vault.backup.RestoreJob.Options.defaults()))
        .map(r -> "arn:aws:backup-gateway:" + agent.config().region() + ":" + agent.accountId() + ":file/"
            + target.toString().replaceFirst("^/", ""));
  }

  /** Points written before VMPath was the folder held the .vmx path ({@code [ds] vm/vm.vmx}): not a folder, so ignored. */
  private static String folderOf(String vmPath) {
    String path = blankToNull(vmPath);
    return path == null || path.startsWith("[") ? null : path;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
