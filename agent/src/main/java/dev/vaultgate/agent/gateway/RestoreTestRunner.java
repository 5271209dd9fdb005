package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.backup.VmRecoveryPoint;
import dev.vaultgate.agent.backup.VmRecoveryPoints;
import dev.vaultgate.agent.restore.RestoredDiskCheck;
import dev.vaultgate.agent.restore.VmRestore;
import dev.vaultgate.agent.restore.VmRestoreResult;
import dev.vaultgate.agent.vsphere.DatastorePath;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.vsphere.VsphereClient;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.format.BlockFingerprint;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.repo.Repository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one restore test (a restore job a restore testing plan started) from start to clean-up:
 * <ol>
 *   <li>restores the point into a scratch location: a local volume to {@code <stagingDir>/restore-tests/<job>.img},
 *       a VM as a new VM {@code vaultgate-restore-test-<job>} powered on (the selection's VMDatastore,
 *       ComputeResourceName and VMPath apply; its VMName does not: a scratch name never collides);</li>
 *   <li>completes the restore job and reports validation VALIDATING;</li>
 *   <li>validates what it restored: every chunk was checked as it was restored (GCM tag and chunk id); each disk
 *       is read back (the VM's from the datastore) and compared block by block with the checksums the backup
 *       recorded ({@link RestoredDiskCheck}); a VM must be powered on and its guest heartbeat not red;</li>
 *   <li>reports validation SUCCESSFUL or FAILED with what it found and how long the restore took;</li>
 *   <li>deletes what it restored (the file; the VM powered off and destroyed, its folder removed), checks that it
 *       is gone, and reports the deletion SUCCESSFUL, or FAILED with the reason.</li>
 * </ol>
 * A restore that fails (a damaged chunk, a vault that cannot be read) fails the job, validates FAILED with the
 * reason, and is cleaned up the same way: nothing of a restore test is left behind.
 */
final class RestoreTestRunner {
  private static final Logger LOG = LoggerFactory.getLogger(RestoreTestRunner.class);
  static final String VM_PREFIX = "vaultgate-restore-test-";
  static final String SCRATCH = "restore-tests";
  private static final String EXECUTOR = "vaultgate-restore-test";
  /** A VM's disk is read back from the datastore in ranged GETs of this size. */
  private static final int READ_AHEAD = 4 << 20;

  private final GatewayAgent agent;
  private final JsonObject job;
  private final String jobId;
  private final JsonObject metadata;
  private final JobLease lease;
  private final WorkerExecutor blocking;
  private final boolean localVolume;
  private Path scratchFile;
  private String vmName;
  private String datacenter;
  private DatastorePath vmFolder;

  RestoreTestRunner(GatewayAgent agent, JsonObject job) {
    this.agent = agent;
    this.job = job;
    this.jobId = job.getString("jobId");
    this.metadata = job.getJsonObject("metadata", new JsonObject());
    this.localVolume = "LocalVolume".equals(job.getString("resourceType")) || metadata.containsKey("vaultgate:localVolume");
    long leaseSeconds = agent.config().leaseSeconds();
    this.lease = new JobLease(agent.vertx(), agent.coordinator(), "restore-jobs", jobId, leaseSeconds,
        Duration.ofMillis(Math.min(leaseSeconds * 1000 / 3, 5_000)));
    this.blocking = agent.vertx().createSharedWorkerExecutor(EXECUTOR, 2);
  }

  /** What was restored, ready to be validated. */
  private interface Restored {
    String createdResourceArn();

    /** What the check found, one line; fails when it could not look. */
    Future<String> validate();
  }

  /** Thrown by a validation that found the restored data wrong (rather than being unable to look). */
  private static final class ValidationFailed extends RuntimeException {
    ValidationFailed(String message) {
      super(message, null, false, false);
    }
  }

  Future<JsonObject> run() {
    String location = agent.vaultLocation(job, "vaultLocation");
    if (location == null) {
      return lease.fail("restore test " + jobId + ": no vault location (the job names none and the gateway has no default)")
          .eventually(blocking::close);
    }
    long start = System.nanoTime();
    LOG.info("restore test {}: restoring {} ({})", jobId, job.getString("recoveryPointArn"), localVolume ? "local volume" : "VM");
    return agent.vaults().open(location, null, job.getString("encryptionKeyArn")).compose(opened -> {
      Future<Restored> restored = localVolume ? restoreLocal(opened.repo()) : restoreVm(opened.repo());
      return restored.transform(ar -> {
        double seconds = (System.nanoTime() - start) / 1e9;
        if (ar.failed()) {
          return restoreFailed(ar.cause());
        }
        return validateAndClean(ar.result(), seconds);
      }).eventually(() -> {
        opened.close();
        return Future.succeededFuture();
      });
    }, e -> restoreFailed(e)).eventually(blocking::close);
  }

  private Future<JsonObject> restoreFailed(Throwable e) {
    String cause = oneLine(e);
    String message = cause.startsWith("cannot ") ? cause : "cannot restore " + job.getString("recoveryPointArn") + ": " + cause;
    LOG.warn("restore test {} failed: {}", jobId, message);
    return lease.fail(message)
        .compose(failed -> report("validation", new JsonObject().put("status", "FAILED")
            .put("message", "the restore failed: " + message)))
        .compose(v -> cleanUp())
        .recover(x -> {
          LOG.warn("restore test {}: not all of its outcome was reported: {}", jobId, x.getMessage());
          return cleanUp();
        });
  }

  private Future<JsonObject> validateAndClean(Restored restored, double seconds) {
    String timing = String.format(Locale.ROOT, "restored in %.1f s", seconds);
    return lease.complete(new JsonObject().put("createdResourceArn", restored.createdResourceArn()))
        .compose(done -> report("validation", new JsonObject().put("status", "VALIDATING")))
        .compose(v -> restored.validate().transform(ar -> {
          boolean ok = ar.succeeded();
          String found = ok ? ar.result() : (ar.cause() instanceof ValidationFailed ? "" : "could not validate: ") + oneLine(ar.cause());
          LOG.info("restore test {}: validation {}: {}", jobId, ok ? "SUCCESSFUL" : "FAILED", found);
          return report("validation", new JsonObject().put("status", ok ? "SUCCESSFUL" : "FAILED")
              .put("message", limit(timing + "; " + found)).put("restoreSeconds", seconds));
        }))
        .transform(ar -> {
          if (ar.failed()) {
            LOG.warn("restore test {}: its validation was not reported: {}", jobId, ar.cause().getMessage());
          }
          return cleanUp();
        });
  }

  // --- local volumes ------------------------------------------------------------------------------

  private Future<Restored> restoreLocal(Repository repo) {
    String pointId = metadata.getString("vaultgate:recoveryPointId");
    if (pointId == null) {
      return Future.failedFuture(new IllegalArgumentException("the recovery point's restore metadata has no"
          + " vaultgate:recoveryPointId: not a local volume backup of this gateway"));
    }
    Path dir = agent.config().stagingDir().resolve(SCRATCH);
    scratchFile = dir.resolve(jobId + ".img");
    lease.progress(1, 0);
    return blocking(() -> Files.createDirectories(dir))
        .compose(v -> repo.loadPoint(pointId))
        .compose(manifest -> RestoreJob.run(repo, manifest, scratchFile, RestoreJob.Options.defaults()
                .withProgress((done, total) -> lease.progress(total == 0 ? 99 : Math.min(99, 100.0 * done / total), done)))
            .map(result -> new Restored() {
              @Override
              public String createdResourceArn() {
                return "arn:aws:backup-gateway:" + agent.config().region() + ":" + agent.accountId() + ":file/"
                    + scratchFile.toString().replaceFirst("^/", "");
              }

              @Override
              public Future<String> validate() {
                return checkFile(repo, manifest.disks().get(0), scratchFile);
              }
            }));
  }

  private Future<String> checkFile(Repository repo, DiskBlocks disk, Path file) {
    BlockFingerprint fingerprint = new BlockFingerprint(repo.keys().fingerprintSeed());
    return blocking(() -> {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        RestoredDiskCheck.Result r = RestoredDiskCheck.check(disk, fingerprint,
            (position, buf, off, len) -> ch.read(ByteBuffer.wrap(buf, off, len), position));
        if (!r.ok()) {
          throw new ValidationFailed(r.describe());
        }
        return r.describe();
      }
    });
  }

  // --- VMs ----------------------------------------------------------------------------------------

  private Future<Restored> restoreVm(Repository repo) {
    VsphereClient vsphere = agent.vsphere();
    if (vsphere == null) {
      return Future.failedFuture(new IllegalStateException("the gateway has no vCenter to restore VM " + job.getString("sourceResourceArn")
          + " into"));
    }
    vmName = VM_PREFIX + jobId.toLowerCase(Locale.ROOT);
    String pointArn = job.getString("recoveryPointArn");
    return VmRecoveryPoints.withLabel(repo, BackupJobRunner.LABEL_RECOVERY_POINT, pointArn).compose(point -> {
      VmRestore.Options options = VmRestore.Options.named(vmName, agent.config().stagingDir())
          .withPowerOn(true)
          .withDatastore(blankToNull(metadata.getString("VMDatastore")))
          .withComputeResource(blankToNull(metadata.getString("ComputeResourceName")))
          .withFolder(folderOf(metadata.getString("VMPath")));
      lease.progress(1, 0);
      datacenter = point.metadata().datacenter();
      return VmRestore.toVsphere(vsphere, repo, point, options).map(result -> {
        datacenter = result.vm().datacenter();
        vmFolder = new DatastorePath(result.diskFiles().values().iterator().next().datastore(), vmName); // VmRestore's folder
        return new Restored() {
          @Override
          public String createdResourceArn() {
            return VmResources.arn(agent.config().region(), agent.accountId(), result.vm().instanceUuid());
          }

          @Override
          public Future<String> validate() {
            return checkVm(vsphere, repo, point, result);
          }
        };
      });
    });
  }

  /** Powered on, a heartbeat that is not red, and every disk on the datastore equal to the backup's blocks. */
  private Future<String> checkVm(VsphereClient vsphere, Repository repo, VmRecoveryPoint point, VmRestoreResult restored) {
    return vsphere.refresh(restored.vm()).compose(vm -> {
      if (!vm.poweredOn()) {
        throw new ValidationFailed("VM '" + vm.name() + "' is " + vm.powerState() + " after PowerOn");
      }
      return vsphere.guestHeartbeat(vm).compose(heartbeat -> {
        if ("red".equals(heartbeat)) {
          throw new ValidationFailed("VM '" + vm.name() + "' is powered on but its guest heartbeat is red");
        }
        String guest = "green".equals(heartbeat) || "yellow".equals(heartbeat) ? "guest heartbeat " + heartbeat
            : "guest heartbeat " + heartbeat + " (no VMware Tools answer: power state only)";
        BlockFingerprint fingerprint = new BlockFingerprint(repo.keys().fingerprintSeed());
        Future<Void> chain = Future.succeededFuture();
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, DatastorePath> e : restored.diskFiles().entrySet()) {
          DiskBlocks blocks = point.manifest(e.getKey()).disk(e.getKey());
          DatastorePath flat = e.getValue().flatExtent();
          chain = chain.compose(v -> blocking(() -> {
            RestoredDiskCheck.Result r = RestoredDiskCheck.check(blocks, fingerprint, RestoredDiskCheck.readingAhead(
                (position, buf, off, len) -> vsphere.datastore().readRange(vm.datacenter(), flat, position, buf, off, len),
                READ_AHEAD));
            if (!r.ok()) {
              throw new ValidationFailed("VM '" + vm.name() + "' " + r.describe());
            }
            found.add(r.describe());
            return null;
          }));
        }
        return chain.map(v -> "VM '" + vm.name() + "' powered on, " + guest + "; " + String.join("; ", found));
      });
    });
  }

  // --- clean-up -----------------------------------------------------------------------------------

  /** Deletes what the test restored, checks that it is gone, and reports the deletion. */
  private Future<JsonObject> cleanUp() {
    Future<String> deleted = localVolume ? deleteFile() : deleteVm();
    return deleted.transform(ar -> {
      JsonObject body = ar.succeeded() ? new JsonObject().put("status", "SUCCESSFUL").put("message", limit(ar.result()))
          : new JsonObject().put("status", "FAILED").put("message", limit("cannot delete what the restore test restored: "
              + oneLine(ar.cause())));
      LOG.info("restore test {}: deletion {}: {}", jobId, body.getString("status"), body.getString("message"));
      return report("deletion", body).recover(e -> {
        LOG.warn("restore test {}: its deletion was not reported: {}", jobId, e.getMessage());
        return Future.succeededFuture();
      }).map(v -> new JsonObject().put("deletionStatus", body.getString("status")));
    });
  }

  private Future<String> deleteFile() {
    Path file = scratchFile;
    if (file == null) {
      return Future.succeededFuture("nothing was restored");
    }
    return blocking(() -> {
      boolean existed = Files.deleteIfExists(file);
      existed |= Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".vaultgate-partial"));
      if (Files.exists(file)) {
        throw new IOException("scratch file " + file + " is still there");
      }
      return existed ? "deleted scratch file " + file : "no scratch file was left at " + file;
    });
  }

  private Future<String> deleteVm() {
    VsphereClient vsphere = agent.vsphere();
    if (vmName == null || vsphere == null) {
      return Future.succeededFuture("nothing was restored");
    }
    return vsphere.findVm(vmName).compose(vm -> {
      if (vm != null) {
        return RestoreTestLeftovers.deleteVm(vsphere, vm, vmFolder);
      }
      // a restore that failed after its upload may have left the folder without a VM
      String none = "no VM '" + vmName + "' was left";
      return vmFolder == null || datacenter == null ? Future.succeededFuture(none)
          : vsphere.exists(datacenter, vmFolder).compose(left -> left
              ? vsphere.deleteDatastoreFile(datacenter, vmFolder).map(none + ", deleted " + vmFolder)
              : Future.succeededFuture(none));
    });
  }

  /**
   * Deletes the scratch files of restore tests a stopped gateway left (blocking; at start, when no test runs):
   * their jobs' leases expire and the coordinator hands them out again. Answers how many were deleted.
   */
  static int removeLeftovers(Path stagingDir) throws IOException {
    Path dir = stagingDir.resolve(SCRATCH);
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int n = 0;
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        if (Files.isRegularFile(f) && Files.deleteIfExists(f)) {
          n++;
        }
      }
    }
    if (n > 0) {
      LOG.warn("deleted {} scratch file(s) of restore tests interrupted by a stop, in {}", n, dir);
    }
    return n;
  }

  // --- helpers ------------------------------------------------------------------------------------

  /** Reports to {@code /restore-jobs/<job>/<what>}, again while the coordinator does not answer (up to about a minute). */
  private Future<JsonObject> report(String what, JsonObject body) {
    return attempt(what, body, new Backoff(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(15)), 6);
  }

  private Future<JsonObject> attempt(String what, JsonObject body, Backoff backoff, int left) {
    return agent.coordinator().post("/restore-jobs/" + jobId + "/" + what, body).recover(e -> {
      if (!(e instanceof CoordinatorException c) || !c.isRetryable() || left <= 1) {
        return Future.failedFuture(e);
      }
      Duration wait = backoff.failed();
      return agent.vertx().timer(Math.max(1, wait.toMillis())).compose(x -> attempt(what, body, backoff, left - 1));
    });
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return blocking.executeBlocking(work, false);
  }

  private static String limit(String s) {
    return s.length() <= 2048 ? s : s.substring(0, 2045) + "...";
  }

  private static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.replace('\n', ' ').replace('\r', ' ');
  }

  private static String folderOf(String vmPath) {
    String path = blankToNull(vmPath);
    return path == null || path.startsWith("[") ? null : path;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
