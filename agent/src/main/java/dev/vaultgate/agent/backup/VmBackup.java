package dev.vaultgate.agent.backup;

import dev.vaultgate.agent.disk.DatastoreHttpsDiskReader;
import dev.vaultgate.agent.disk.DiskReader;
import dev.vaultgate.agent.disk.RetryingDiskReader;
import dev.vaultgate.agent.vsphere.ChangeIdRejectedException;
import dev.vaultgate.agent.vsphere.SnapshotInfo;
import dev.vaultgate.agent.vsphere.VmHardware;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.vsphere.VsphereClient;
import dev.vaultgate.agent.vsphere.VsphereException;
import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.Progress;
import dev.vaultgate.vault.backup.SourceException;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.VaultStorageException;
import io.vertx.core.Future;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backs up one VM into a vault:
 * <ol>
 *   <li>find the VM and its newest complete backup in the vault (or the one given);</li>
 *   <li>turn Changed Block Tracking on when it is off (that run reads in full);</li>
 *   <li>take a snapshot, quiesced when asked and possible (the VM runs, VMware Tools runs in it); when asked and not
 *       possible, or refused by vCenter, unquiesced, with the reason in the result's warnings and each point's
 *       metadata ({@link VmPointMetadata#quiesceNote});</li>
 *   <li>for each disk, one after the other: ask CBT for the areas changed since the changeId the previous point
 *       saved ("*" on a first backup; "*" again, with the reason kept, when vCenter rejects the changeId), read
 *       those through the datastore, and run the vault engine's {@link BackupJob} against the previous point;</li>
 *   <li>store in each point's metadata the VM's configuration and the snapshot's changeId;</li>
 *   <li>remove the snapshot, whatever happened before.</li>
 * </ol>
 * A failure deletes the points this run already stored (their packs stay indexed and are reused by the next run),
 * so a VM backup is all its disks or nothing.
 */
public final class VmBackup {
  private static final Logger LOG = LoggerFactory.getLogger(VmBackup.class);
  /** Every backup's snapshot is named so; one left when no backup runs is a leftover of a crash. */
  public static final String SNAPSHOT_PREFIX = "vaultgate-";

  /**
   * @param quiesce  ask VMware Tools to quiesce the guest (only when the VM runs)
   * @param previous the backup to continue from; null: the newest complete backup of the VM in the vault
   * @param readers  wraps each disk's datastore reader (retries by default; throttling or fault injection)
   * @param progress per disk, bytes scanned of bytes to scan
   * @param labels   kept in every disk point's metadata ({@link VmPointMetadata#labels})
   */
  public record Options(String vmName, boolean quiesce, VmRecoveryPoint previous, UnaryOperator<DiskReader> readers,
                        Progress progress, Map<String, String> labels, Instant retainUntil) {
    public static Options defaults(String vmName) {
      return new Options(vmName, true, null, r -> new RetryingDiskReader(r, 3, Duration.ofMillis(500)), Progress.NONE, Map.of(),
          null);
    }

    public Options withQuiesce(boolean q) {
      return new Options(vmName, q, previous, readers, progress, labels, retainUntil);
    }

    public Options withPrevious(VmRecoveryPoint p) {
      return new Options(vmName, quiesce, p, readers, progress, labels, retainUntil);
    }

    public Options withReaders(UnaryOperator<DiskReader> r) {
      return new Options(vmName, quiesce, previous, r, progress, labels, retainUntil);
    }

    public Options withProgress(Progress p) {
      return new Options(vmName, quiesce, previous, readers, p, labels, retainUntil);
    }

    public Options withLabels(Map<String, String> l) {
      return new Options(vmName, quiesce, previous, readers, progress, Map.copyOf(l), retainUntil);
    }

    /** In a locked vault, how long every disk's point is retained (null: the vault lock's minimum). */
    public Options withRetainUntil(Instant until) {
      return new Options(vmName, quiesce, previous, readers, progress, labels, until);
    }
  }


  private final VsphereClient client;
  private final Repository repo;
  private final Options options;
  private final String backupId = ObjectIds.newId();
  private final long startedAt = System.currentTimeMillis();
  private final List<VmBackupResult.DiskResult> disks = Collections.synchronizedList(new ArrayList<>());
  private final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
  private VmInfo vm;
  private VmRecoveryPoint previous;
  private boolean trackingEnabledNow;
  private SnapshotInfo snapshot;
  private String quiesceNote;
  private boolean snapshotRemoved;
  private boolean vmDeleted;

  private VmBackup(VsphereClient client, Repository repo, Options options) {
    this.client = client;
    this.repo = repo;
    this.options = options;
  }

  /** Runs the backup; call it on a Vert.x context. */
  public static Future<VmBackupResult> run(VsphereClient client, Repository repo, Options options) {
    return new VmBackup(client, repo, options).run();
  }

  private Future<VmBackupResult> run() {
    return client.vm(options.vmName())
        .compose(found -> {
          vm = found;
          return options.previous() != null ? Future.succeededFuture(options.previous()) : VmRecoveryPoints.latest(repo, vm.instanceUuid());
        })
        .compose(prev -> {
          previous = prev;
          return enableTracking();
        })
        .compose(v -> takeSnapshot())
        .compose(snap -> {
          snapshot = snap;
          return backupDisks().eventually(this::removeSnapshot);
        })
        .map(v -> new VmBackupResult(backupId, vm.name(), vm.instanceUuid(), disks, trackingEnabledNow, snapshot.quiesced(),
            snapshotRemoved, warnings))
        .recover(this::failed);
  }

  private Future<Void> enableTracking() {
    if (vm.changeTrackingEnabled()) {
      return Future.succeededFuture();
    }
    trackingEnabledNow = true;
    return client.setChangeTracking(vm, true);
  }

  private Future<SnapshotInfo> takeSnapshot() {
    String name = SNAPSHOT_PREFIX + backupId;
    String description = "Vaultgate backup " + backupId + "; removed when the backup ends";
    if (!options.quiesce()) {
      return client.createSnapshot(vm, name, description, false);
    }
    if (!vm.poweredOn()) {
      // A VM that is off has nothing in flight: its snapshot is consistent without quiescing, so no note.
      return client.createSnapshot(vm, name, description, false);
    }
    return client.toolsRunning(vm).recover(e -> Future.succeededFuture(false)).compose(tools -> {
      if (!tools) {
        return unquiesced(name, description, "a quiesced snapshot was asked for, but VMware Tools is not running in the guest");
      }
      return client.createSnapshot(vm, name, description, true)
          .recover(e -> unquiesced(name, description, "a quiesced snapshot was refused (" + e.getMessage() + ")"));
    });
  }

  private Future<SnapshotInfo> unquiesced(String name, String description, String why) {
    quiesceNote = why + "; the backup is crash-consistent";
    warnings.add(quiesceNote);
    return client.createSnapshot(vm, name, description, false);
  }

  /** Removes the snapshot; never fails (a failure to remove it is a warning, or part of the backup's error). */
  private Future<Void> removeSnapshot() {
    return client.removeSnapshot(snapshot).transform(ar -> {
      if (ar.succeeded()) {
        snapshotRemoved = true;
        return Future.succeededFuture();
      }
      // A VM deleted during the backup took its snapshots with it: nothing is left to remove by hand.
      return client.findVm(vm.name()).transform(found -> {
        if (found.succeeded() && (found.result() == null || !found.result().moref().equals(vm.moref()))) {
          vmDeleted = true;
          snapshotRemoved = true;
          return Future.succeededFuture();
        }
        LOG.warn("could not remove snapshot {} of VM {}: {}", snapshot.moref(), vm.describe(), ar.cause().getMessage());
        warnings.add("snapshot '" + snapshot.name() + "' (" + snapshot.moref() + ") could not be removed: " + ar.cause().getMessage());
        return Future.succeededFuture();
      });
    });
  }

  private Future<Void> backupDisks() {
    VmHardware hw = snapshot.hardware();
    Future<Void> chain = Future.succeededFuture();
    for (VmHardware.Disk disk : hw.disks()) {
      chain = chain.compose(v -> backupDisk(hw, disk));
    }
    return chain;
  }

  private Future<Void> backupDisk(VmHardware hw, VmHardware.Disk disk) {
    String name = hw.diskName(disk);
    var prevManifest = previous == null ? null : previous.manifest(name);
    String prevChangeId = previous == null ? null : previous.changeId(name);
    String fullReason = trackingEnabledNow ? "change tracking was off; it is on from this backup"
        : prevManifest == null ? "first backup of this disk"
        : prevChangeId == null ? "the previous recovery point has no changeId for this disk"
        : disk.changeId() == null ? "the snapshot shows no changeId for this disk"
        : null;
    int blockSize = repo.config().settings().blockSize();
    DiskReader reader = options.readers().apply(new DatastoreHttpsDiskReader(client.datastore(), vm.datacenter(), disk.file().flatExtent()));
    VmwareCbtSource source = new VmwareCbtSource(client, vm.name(), snapshot, disk, reader);

    Future<ReadPlan> plan = fullReason != null
        ? source.changedSince(ChangedBlockSource.ALL)
            .map(inUse -> ReadPlan.full(prevManifest, name, inUse, disk.capacityBytes(), blockSize, fullReason))
        : source.changedSince(prevChangeId)
            .map(changed -> ReadPlan.incremental(prevManifest, changed, prevChangeId))
            .recover(e -> {
              if (!(e instanceof ChangeIdRejectedException)) {
                return Future.failedFuture(e);
              }
              LOG.info("VM {} disk {}: {}; reading every area in use", vm.describe(), name, e.getMessage());
              return source.changedSince(ChangedBlockSource.ALL)
                  .map(inUse -> ReadPlan.full(prevManifest, name, inUse, disk.capacityBytes(), blockSize, e.getMessage()));
            });

    return plan.compose(p -> {
      VmPointMetadata meta = metadata(hw, disk, p);
      BackupJob.Options job = BackupJob.Options.defaults(name)
          .withPrevious(p.baseline())
          .withChangedExtents(p.extents())
          .withMetadata(meta.toJson())
          .withProgress(options.progress())
          .withRetainUntil(options.retainUntil())
          .withIndexRepair(disks.isEmpty()); // orphan and lost packs: once per VM, it lists every pack of the vault
      return BackupJob.run(repo, source, job)
          .map(r -> {
            disks.add(new VmBackupResult.DiskResult(name, disk.label(), p.since(), disk.changeId(), p.reason(), r));
            return (Void) null;
          });
    }).recover(e -> Future.failedFuture(new DiskFailure(name, disk.label(), e)))
        .eventually(() -> {
          try {
            source.close();
          } catch (IOException e) {
            LOG.debug("closing {}: {}", source.describe(), e.getMessage());
          }
          return Future.succeededFuture();
        });
  }

  private VmPointMetadata metadata(VmHardware hw, VmHardware.Disk disk, ReadPlan plan) {
    List<String> names = hw.disks().stream().map(hw::diskName).toList();
    return new VmPointMetadata(backupId, startedAt, names, client.endpoint().hostPort(), vm.name(), vm.moref(), vm.instanceUuid(),
        vm.datacenter(), vm.computeResource(), vm.datastores(), vm.customAttributes(), hw,
        new VmPointMetadata.DiskState(hw.diskName(disk), disk.key(), disk.label(), disk.capacityBytes(), disk.changeId(), plan.since(),
            plan.reason()),
        snapshot.name(), snapshot.quiesced(), quiesceNote, options.labels());
  }

  /** Which disk failed, carried to the error message. */
  private static final class DiskFailure extends RuntimeException {
    final String disk;

    DiskFailure(String disk, String label, Throwable cause) {
      super("disk " + disk + " ('" + label + "')", cause);
      this.disk = disk;
    }
  }

  /** Deletes what this run stored, then fails with a message naming the VM, the disk, the cause and the snapshot's fate. */
  private Future<VmBackupResult> failed(Throwable e) {
    Throwable cause = e instanceof DiskFailure d ? d.getCause() : e;
    String where = e instanceof DiskFailure d ? " " + d.getMessage() : "";
    List<String> stored = disks.stream().map(VmBackupResult.DiskResult::pointId).toList();
    Future<Void> cleanup = Future.succeededFuture();
    for (String id : stored) {
      cleanup = cleanup.compose(v -> repo.deletePoint(id).recover(x -> {
        warnings.add("recovery point " + id + " of the failed backup could not be deleted: " + x.getMessage());
        return Future.succeededFuture();
      }));
    }
    return cleanup.transform(ignored -> {
      String vmText = vm == null ? "'" + options.vmName() + "'" : vm.describe();
      StringBuilder msg = new StringBuilder("cannot back up VM ").append(vmText).append(where).append(": ").append(cause.getMessage());
      if (snapshot != null) {
        msg.append(vmDeleted ? "; the VM was deleted during the backup, with its snapshots"
            : snapshotRemoved ? "; snapshot '" + snapshot.name() + "' was removed"
            : "; snapshot '" + snapshot.name() + "' (" + snapshot.moref() + ") could NOT be removed, remove it by hand");
      }
      if (!stored.isEmpty()) {
        msg.append("; recovery points of disks already stored were deleted");
      }
      return Future.failedFuture(new VmBackupException(msg.toString(), retryable(cause), cause));
    });
  }

  private static boolean retryable(Throwable cause) {
    if (cause instanceof VsphereException v) {
      return v.isRetryable();
    }
    if (cause instanceof VaultStorageException s) {
      return s.isRetryable();
    }
    return cause instanceof SourceException || cause instanceof IOException;
  }
}
