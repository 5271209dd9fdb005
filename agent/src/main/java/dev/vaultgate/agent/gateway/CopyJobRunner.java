package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.backup.VmRecoveryPoint;
import dev.vaultgate.agent.backup.VmRecoveryPoints;
import dev.vaultgate.vault.copy.CopyJob;
import dev.vaultgate.vault.copy.CopyResult;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.Retention;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one leased copy job: finds the backup the job's source recovery point ARN labels in the source vault
 * ({@code sourceVaultLocation}), copies each of its disk points into the destination vault
 * ({@code destinationVaultLocation}) with {@link CopyJob} (re-encrypted under the destination's keys, only missing
 * chunks written), relabelled with the destination recovery point ARN so restores from the destination find it, and
 * completes the job with the backup's size. The coordinator's answer carries the destination vault's lock: when the
 * destination vault is locked in its storage, every object the copy needs is then retained until the answer's
 * {@code retainUntil}. A copy run again after a lost lease writes only what is missing.
 */
final class CopyJobRunner {
  private static final Logger LOG = LoggerFactory.getLogger(CopyJobRunner.class);

  private final GatewayAgent agent;
  private final JsonObject job;
  private final String jobId;
  private final JobLease lease;

  CopyJobRunner(GatewayAgent agent, JsonObject job) {
    this.agent = agent;
    this.job = job;
    this.jobId = job.getString("jobId");
    long leaseSeconds = agent.config().leaseSeconds();
    this.lease = new JobLease(agent, "copy-jobs", jobId, leaseSeconds,
        Duration.ofMillis(Math.min(leaseSeconds * 1000 / 3, 5_000)));
  }

  Future<JsonObject> run() {
    String from = job.getString("sourceVaultLocation");
    String to = job.getString("destinationVaultLocation");
    String sourceArn = job.getString("sourceRecoveryPointArn");
    String destinationArn = job.getString("destinationRecoveryPointArn");
    if (from == null || to == null) {
      return lease.fail("copy job " + jobId + ": the job names no " + (from == null ? "source" : "destination") + " vault location");
    }
    if (destinationArn == null) {
      return lease.fail("copy job " + jobId + ": the job names no destination recovery point ARN");
    }
    return attempt(from, to, sourceArn, destinationArn, 1)
        .recover(e -> {
          String cause = String.valueOf(e.getMessage());
          String message = cause.startsWith("cannot ") ? cause : "cannot copy " + sourceArn + ": " + cause;
          LOG.warn("copy job {} failed: {}", jobId, message);
          return lease.fail(message);
        });
  }

  /** How often a copy is started again after its storage went away (each run writes only what is missing). */
  static final int RESUME_ATTEMPTS = 6;
  private static final long RESUME_FIRST_DELAY_MS = 2_000;
  private final java.util.concurrent.atomic.AtomicBoolean completing = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * One run of the copy; when it fails because a storage stopped answering (a retryable failure that outlasted the
   * storage's own retries: an S3 gateway restarting, a network cut) it runs again after 2, 4, 8... s, up to
   * {@link #RESUME_ATTEMPTS} runs in all (about a minute): a rerun finds the packs the last one stored and writes
   * only what is missing. The lease is renewed meanwhile. Never once the job is being completed.
   */
  private Future<JsonObject> attempt(String from, String to, String sourceArn, String destinationArn, int run) {
    return once(from, to, sourceArn, destinationArn).recover(e -> {
      if (run >= RESUME_ATTEMPTS || completing.get() || !storageWentAway(e)) {
        return Future.failedFuture(e);
      }
      long delay = RESUME_FIRST_DELAY_MS << (run - 1);
      LOG.warn("copy job {}: storage stopped answering ({}); resuming in {} s (run {} of {})", jobId, e.getMessage(),
          delay / 1000, run + 1, RESUME_ATTEMPTS);
      return agent.vertx().timer(delay, java.util.concurrent.TimeUnit.MILLISECONDS)
          .compose(fired -> attempt(from, to, sourceArn, destinationArn, run + 1));
    });
  }

  /** Whether the failure is a storage that could answer again (a retryable failure), not a refusal or bad data. */
  static boolean storageWentAway(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof dev.vaultgate.vault.storage.VaultStorageException v) {
        return v.isRetryable();
      }
    }
    return false;
  }

  private Future<JsonObject> once(String from, String to, String sourceArn, String destinationArn) {
    return agent.vaults().open(from, null, job.getString("sourceEncryptionKeyArn"))
        .compose(source -> agent.vaults().openForWriting(to, null, job.getString("destinationEncryptionKeyArn"))
            .compose(destination -> VmRecoveryPoints.withLabel(source.repo(), BackupJobRunner.LABEL_RECOVERY_POINT, sourceArn)
                .compose(point -> copy(source.repo(), destination.repo(), point, sourceArn, destinationArn)
                    .compose(copied -> complete(destination.repo(), point, copied)))
                .eventually(() -> {
                  destination.close();
                  return Future.succeededFuture();
                }))
            .eventually(() -> {
              source.close();
              return Future.succeededFuture();
            }));
  }

  /** Copies the backup's disk points one after the other; answers the destination's manifests. */
  private Future<List<Manifest>> copy(Repository source, Repository destination, VmRecoveryPoint point, String sourceArn,
                                      String destinationArn) {
    long total = point.manifests().values().stream().mapToLong(m -> m.disks().stream().mapToLong(d -> d.size()).sum()).sum();
    AtomicLong before = new AtomicLong();
    List<Manifest> copies = new ArrayList<>();
    AtomicLong written = new AtomicLong();
    Future<Void> chain = Future.succeededFuture();
    for (Manifest m : point.manifests().values()) {
      chain = chain.compose(v -> {
        long base = before.get();
        CopyJob.Options options = CopyJob.Options.defaults()
            .withMetadata(json -> relabel(json, sourceArn, destinationArn))
            .withProgress((done, of) -> lease.progress(total <= 0 ? 0 : Math.min(99.0, 100.0 * (base + done) / total), base + done));
        return CopyJob.run(source, destination, m.id(), options).compose(result -> {
          before.addAndGet(result.size());
          written.addAndGet(result.bytesWritten());
          LOG.info("copy job {}: point {} copied ({} of {} chunks written, {} B)", jobId, m.id(), result.chunksCopied(),
              result.chunksRead(), result.bytesWritten());
          return destination.loadPoint(result.destinationPointId());
        }).map(copy -> {
          copies.add(copy);
          return null;
        });
      });
    }
    return chain.map(v -> copies);
  }

  /** The source point's metadata with the labels that make it the destination's recovery point. */
  static String relabel(String metadataJson, String sourceArn, String destinationArn) {
    JsonObject meta;
    try {
      meta = new JsonObject(metadataJson);
    } catch (RuntimeException e) {
      return metadataJson; // not a VM point's metadata: kept as it is
    }
    JsonObject labels = meta.getJsonObject("labels", new JsonObject()).copy()
        .put(BackupJobRunner.LABEL_RECOVERY_POINT, destinationArn)
        .put("copiedFrom", sourceArn);
    return meta.put("labels", labels).encode();
  }

  private Future<JsonObject> complete(Repository destination, VmRecoveryPoint point, List<Manifest> copies) {
    completing.set(true);
    long size = copies.stream().mapToLong(m -> m.disks().stream().mapToLong(d -> d.size()).sum()).sum();
    JsonObject metadata = new JsonObject()
        .put("VMName", point.metadata().vmName())
        .put("ComputeResourceName", point.metadata().computeResource() == null ? "" : point.metadata().computeResource())
        .put("VMDatastore", point.metadata().datastores().isEmpty() ? "" : point.metadata().datastores().get(0))
        .put("vaultgate:backupId", point.backupId())
        .put("vaultgate:disks", String.join(",", point.diskNames()))
        .put("vaultgate:pointIds", String.join(",", copies.stream().map(Manifest::id).toList()));
    return lease.complete(new JsonObject().put("backupSizeInBytes", size).put("restoreMetadata", metadata))
        .compose(answer -> retain(destination, copies, answer).map(answer));
  }

  /**
   * In a destination vault locked in its storage, retains everything the copies need until the lock the
   * coordinator answered with ({@code vaultLock.retainUntil}); nothing to do in a vault that is not.
   */
  private Future<Void> retain(Repository destination, List<Manifest> copies, JsonObject answer) {
    JsonObject lock = answer.getJsonObject("vaultLock");
    if (lock == null || lock.getString("retainUntil") == null || !destination.config().settings().locked()) {
      return Future.succeededFuture();
    }
    Retention retention;
    try {
      retention = destination.retentionFor(Instant.parse(lock.getString("retainUntil")));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Future<Void> chain = Future.succeededFuture();
    for (Manifest m : copies) {
      chain = chain.compose(v -> destination.retainReferenced(m, retention)
          .compose(n -> destination.extendRetention(Set.of(ObjectKeys.refs(m.id()), ObjectKeys.point(m.id())), retention))
          .mapEmpty());
    }
    return chain;
  }
}
