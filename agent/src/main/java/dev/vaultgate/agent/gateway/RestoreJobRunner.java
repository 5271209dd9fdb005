package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.backup.VmRecoveryPoint;
import dev.vaultgate.agent.backup.VmRecoveryPoints;
import dev.vaultgate.agent.restore.VmRestore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one leased restore job. The backup is found in the vault by the recovery point ARN the job names; where it
 * goes is AWS's VMware restore metadata:
 * <ul>
 *   <li>{@code RestoreTo=VMware} (the default): a new VM named {@code VMName}, on {@code VMDatastore} and
 *       {@code ComputeResourceName} (the source VM's when absent), powered on when {@code PowerOn} is true;
 *       {@code DisksToRestore}, when given, must name every disk of the backup (a VM is restored whole);</li>
 *   <li>{@code RestoreTo=LocalFile}: each disk to {@code <TargetDirectory>/<VMName or source name>-<disk>.img}
 *       on the gateway.</li>
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
    this.lease = new JobLease(agent.vertx(), agent.coordinator(), "restore-jobs", jobId, leaseSeconds,
        Duration.ofMillis(Math.min(leaseSeconds * 1000 / 3, 5_000)));
  }

  Future<JsonObject> run() {
    String location = agent.vaultLocation(job, "vaultLocation");
    String pointArn = job.getString("recoveryPointArn");
    if (location == null) {
      return lease.fail("restore job " + jobId + ": no vault location (the job names none and the gateway has no default)");
    }
    return agent.vaults().open(location)
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
    if (to.equalsIgnoreCase("LocalFile")) {
      return toFiles(opened, point, name == null ? point.metadata().vmName() : name);
    }
    if (!to.equalsIgnoreCase("VMware")) {
      return Future.failedFuture(new IllegalArgumentException("restore metadata RestoreTo must be VMware or LocalFile, got " + to));
    }
    if (name == null) {
      return Future.failedFuture(new IllegalArgumentException("restore metadata VMName is missing: name the new VM"));
    }
    String disksError = checkDisksToRestore(point);
    if (disksError != null) {
      return Future.failedFuture(new IllegalArgumentException(disksError));
    }
    VmRestore.Options options = VmRestore.Options.named(name, agent.config().stagingDir())
        .withPowerOn(Boolean.parseBoolean(metadata.getString("PowerOn", "false").toLowerCase(Locale.ROOT)))
        .withDatastore(blankToNull(metadata.getString("VMDatastore")))
        .withComputeResource(blankToNull(metadata.getString("ComputeResourceName")));
    lease.progress(1, 0);
    return VmRestore.toVsphere(agent.vsphere(), opened.repo(), point, options)
        .map(result -> VmResources.arn(agent.config().region(), agent.accountId(), result.vm().instanceUuid()));
  }

  /** Null when every disk is restored; otherwise why the job cannot run. */
  private String checkDisksToRestore(VmRecoveryPoint point) {
    String raw = blankToNull(metadata.getString("DisksToRestore"));
    if (raw == null) {
      return null;
    }
    List<String> asked = new ArrayList<>();
    try {
      for (Object o : new JsonArray(raw)) {
        asked.add(o instanceof JsonObject d ? d.getString("DiskName", d.getString("Name", String.valueOf(d))) : String.valueOf(o));
      }
    } catch (RuntimeException e) {
      return "restore metadata DisksToRestore must be a JSON array of disk names, got " + raw;
    }
    if (!new HashSet<>(asked).containsAll(point.diskNames())) {
      return "restore metadata DisksToRestore names " + asked + ", but a VM is restored with all its disks " + point.diskNames();
    }
    return null;
  }

  private Future<String> toFiles(VaultAccess.Opened opened, VmRecoveryPoint point, String name) {
    String dir = blankToNull(metadata.getString("TargetDirectory"));
    if (dir == null || !Path.of(dir).isAbsolute()) {
      return Future.failedFuture(new IllegalArgumentException("restore metadata TargetDirectory must be an absolute directory on the"
          + " gateway, got " + dir));
    }
    List<Path> files = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String disk : point.diskNames()) {
      Path target = Path.of(dir).resolve(name + "-" + disk.replace(':', '_') + ".img");
      files.add(target);
      chain = chain.compose(v -> VmRestore.diskToFile(opened.repo(), point, disk, target).mapEmpty());
    }
    return chain.map(v -> "arn:aws:backup-gateway:" + agent.config().region() + ":" + agent.accountId() + ":file/"
        + files.get(0).toString().replaceFirst("^/", ""));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
