package dev.vaultgate.appliance.volumes;

import dev.vaultgate.appliance.config.ApplianceConfig.LocalVolume;
import dev.vaultgate.appliance.runtime.JobBoard;
import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.backup.BlockSource;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.backup.RestoreResult;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.PointHeader;
import dev.vaultgate.vault.repo.Repository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Backs up and restores the config's local volumes through the vault engine, each as a job on the
 * {@link JobBoard}, at most maxConcurrentJobs at once. A volume that is an LVM logical volume is read from a
 * snapshot taken for the backup and removed after it; anything else is read live, and the recovery point's
 * metadata says so ({@code consistency}). Commands and file opening run on the "local-volumes" worker executor.
 */
public final class LocalVolumeJobs {
  public static final String READ_LIVE = "crash-inconsistent: read live";
  public static final String LVM_SNAPSHOT = "crash-consistent: LVM snapshot";
  public static final String KIND = "local-volume";
  static final String DISK = "disk0";
  private static final int SNAPSHOT_COW_PERCENT = 20;

  /** Opens a volume for reading; {@link FileBlockSource#open} in production. */
  @FunctionalInterface
  public interface SourceOpener {
    BlockSource open(Path path) throws IOException;
  }

  private final Repository repo;
  private final JobBoard board;
  private final WorkerExecutor blocking;
  private final Lvm lvm;
  private final SourceOpener opener;
  private final String gatewayName;
  private final Map<String, LocalVolume> volumes = new java.util.LinkedHashMap<>();
  private final JobSlots slots;

  public LocalVolumeJobs(Repository repo, JobBoard board, WorkerExecutor blocking, Lvm lvm, SourceOpener opener, String gatewayName,
                         List<LocalVolume> volumes, int maxConcurrentJobs) {
    this.repo = repo;
    this.board = board;
    this.blocking = blocking;
    this.lvm = lvm;
    this.opener = opener;
    this.gatewayName = gatewayName;
    volumes.forEach(v -> this.volumes.put(v.name(), v));
    this.slots = new JobSlots(maxConcurrentJobs);
  }

  public List<LocalVolume> volumes() {
    return List.copyOf(volumes.values());
  }

  /** Starts a backup of volume {@code name} (when a slot is free); the future ends with the job. */
  public Future<BackupResult> backup(String name) {
    return backup(name, java.util.UUID.randomUUID().toString());
  }

  /**
   * {@link #backup(String)} as job {@code jobId} (the coordinator's, for a leased job): its LVM snapshot is
   * named after it ({@link LvmSnapshotNames}), so a resumed job meets what its dead run left, and no other job's.
   */
  public Future<BackupResult> backup(String name, String jobId) {
    LocalVolume volume = volumes.get(name);
    if (volume == null) {
      return Future.failedFuture(new IllegalArgumentException("no local volume named '" + name + "' in the config (known: "
          + String.join(", ", volumes.keySet()) + ")"));
    }
    return slots.submit(() -> {
      JobBoard.Job job = board.start("BACKUP", volume.name());
      return runBackup(volume, job, jobId)
          .onSuccess(r -> job.succeeded(r.recoveryPointId(), String.format("%d bytes read, %d new in the vault, %.1f s",
              r.bytesRead(), r.bytesNew(), r.seconds())))
          .onFailure(e -> job.failed(oneLine(e)));
    });
  }

  private record Prepared(Path readPath, String consistency, Lvm.LogicalVolume snapshot, BlockSource source) {
  }

  private Future<BackupResult> runBackup(LocalVolume volume, JobBoard.Job job, String jobId) {
    return blocking.<Prepared>executeBlocking(() -> prepare(volume, jobId), false).compose(prep ->
        previous(volume.name()).compose(prev -> {
          JsonObject meta = new JsonObject().put("kind", KIND).put("source", volume.path().toString()).put("volume", volume.name())
              .put("gateway", gatewayName).put("tags", new JsonObject(Map.copyOf(volume.tags()))).put("consistency", prep.consistency());
          BackupJob.Options options = BackupJob.Options.defaults(DISK).withPrevious(prev).withMetadata(meta.encode())
              .withProgress(job::progress); // a backup adopts the vault's orphan packs first (a job that died)
          return BackupJob.run(repo, prep.source(), options);
        }).eventually(() -> blocking.executeBlocking(() -> {
          release(prep);
          return null;
        }, false)));
  }

  /** Snapshot when the volume is an LV (falling back to a live read if LVM refuses), and open what is to be read. */
  private Prepared prepare(LocalVolume volume, String jobId) throws IOException {
    String consistency = READ_LIVE;
    String snapshotRefused = null;
    Lvm.LogicalVolume snapshot = null;
    Path readPath = volume.path();
    Optional<Lvm.LogicalVolume> lv = lvm.logicalVolumeOf(volume.path());
    if (lv.isPresent()) {
      String claimed = null;
      try {
        String name = LvmSnapshotNames.snapshotName(lv.get().vg(), lv.get().lv(), jobId);
        claimed = lv.get().vg() + "/" + name;
        lvm.claim(claimed); // before it exists: the removal of leftovers must never take it
        snapshot = lvm.snapshot(lv.get(), name, SNAPSHOT_COW_PERCENT);
        readPath = snapshot.path();
        consistency = LVM_SNAPSHOT;
      } catch (IOException | RuntimeException e) {
        if (claimed != null) {
          lvm.release(claimed);
        }
        snapshotRefused = "LVM snapshot of " + lv.get().fullName() + " failed: " + e.getMessage();
        consistency = READ_LIVE + " (" + snapshotRefused + ")";
      }
    }
    try {
      return new Prepared(readPath, consistency, snapshot, opener.open(readPath));
    } catch (IOException | RuntimeException e) {
      if (snapshot != null) {
        removeSnapshot(snapshot);
      }
      if (snapshotRefused != null) {
        // an LV lvs lists but that cannot be read (inactive: no device node) fails both ways; the job says both
        throw new IOException(oneLine(e) + " (" + snapshotRefused + ")", e);
      }
      throw e;
    }
  }

  private void release(Prepared prep) throws IOException {
    try {
      prep.source().close();
    } finally {
      if (prep.snapshot() != null) {
        removeSnapshot(prep.snapshot());
      }
    }
  }

  /** Released even when LVM refuses the removal: the leftover is then the maintenance's to remove. */
  private void removeSnapshot(Lvm.LogicalVolume snapshot) throws IOException {
    try {
      lvm.remove(snapshot);
    } finally {
      lvm.release(snapshot.fullName());
    }
  }

  /** The newest recovery point of volume {@code name}, or null: found by the points' headers, only it read whole. */
  public Future<Manifest> previous(String name) {
    return pointsOf(name).compose(list -> list.isEmpty() ? Future.succeededFuture(null) : repo.loadPoint(list.get(0).id()));
  }

  /** Recovery points of volume {@code name}, newest first, as their headers (metadata and sizes, not blocks). */
  public Future<List<PointHeader>> pointsOf(String name) {
    return repo.loadAllPointHeaders().map(all -> {
      List<PointHeader> mine = new ArrayList<>();
      for (PointHeader h : all) {
        JsonObject meta = metadata(h.metadataJson());
        if (KIND.equals(meta.getString("kind")) && name.equals(meta.getString("volume"))) {
          mine.add(h);
        }
      }
      mine.sort((a, b) -> Long.compare(b.createdAtMillis(), a.createdAtMillis()));
      return mine;
    });
  }

  /**
   * Restores recovery point {@code pointId} to {@code target} (a file, made if missing, or a block device); an
   * existing target is only written with {@code overwrite}.
   */
  public Future<RestoreResult> restore(String pointId, Path target, boolean overwrite) {
    return slots.submit(() -> {
      JobBoard.Job job = board.start("RESTORE", pointId + " -> " + target);
      Function<Manifest, Future<RestoreResult>> run = m -> {
        if (Files.isRegularFile(target) && !overwrite) {
          return Future.failedFuture(new IllegalArgumentException("restore target " + target + " exists: refusing to overwrite it "
              + "(choose another target, or overwrite)"));
        }
        return RestoreJob.run(repo, m, target, RestoreJob.Options.defaults().withOverwrite(overwrite).withProgress(job::progress));
      };
      return repo.loadPoint(pointId).compose(run)
          .recover(e -> Future.failedFuture(oneLine(e).contains(target.toString()) ? e
              // the engine's I/O errors (a full disk) do not always say where: the job's message does
              : new java.io.IOException("cannot restore " + pointId + " to " + target + ": " + oneLine(e), e)))
          .onSuccess(r -> job.succeeded(pointId, String.format("%d bytes written to %s in %.1f s", r.bytesWritten(), target, r.seconds())))
          .onFailure(e -> job.failed(oneLine(e)));
    });
  }

  public static JsonObject metadata(Manifest m) {
    return metadata(m.metadataJson());
  }

  private static JsonObject metadata(String json) {
    try {
      return new JsonObject(json);
    } catch (DecodeException | ClassCastException e) {
      return new JsonObject();
    }
  }

  /** The first line of {@code t}'s message (the job board's and the log's form of a failure). */
  public static String oneLine(Throwable t) {
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
