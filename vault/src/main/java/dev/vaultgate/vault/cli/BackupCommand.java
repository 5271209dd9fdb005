package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.backup.ChangedExtents;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.PointHeader;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.Trace;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code vaultgate backup}: one recovery point of an image file or block device. */
@Command(name = "backup", mixinStandardHelpOptions = true,
    description = {"Back up an image file or block device into a new recovery point.",
        "Unchanged blocks are found from the source's previous recovery point and are not uploaded again;",
        "with --changed-extents only the listed ranges are read."})
final class BackupCommand implements Callable<Integer> {
  @Mixin
  VaultOptions vault;

  @Option(names = "--source", required = true, paramLabel = "PATH", description = "Image file or block device to back up.")
  Path source;

  @Option(names = "--changed-extents", paramLabel = "FILE",
      description = "Ranges changed since the previous recovery point: one 'offset length' pair in bytes per line.")
  Path changedExtents;

  @Option(names = "--parent", paramLabel = "ID", description = "The recovery point to continue from (default: the latest of this source).")
  String parent;

  @Option(names = "--retain-until", paramLabel = "TIME",
      description = "Locked vault: retain the new point until this instant (ISO-8601, e.g. 2031-01-01T00:00:00Z).")
  String retainUntil;

  @Option(names = "--retention", paramLabel = "DURATION",
      description = "Locked vault: retain the new point this long from now (e.g. 30d); default the lock's minimum.")
  String retention;

  /** Accepted as before; every backup now adopts orphan packs first (BackupJob.Options#repairIndex). */
  @Option(names = "--adopt-orphans", hidden = true)
  boolean adoptOrphans;

  @Option(names = "--json", description = "Print a JSON object as the last line.")
  boolean json;

  private Instant retainUntil() {
    if (retainUntil != null && retention != null) {
      throw new IllegalArgumentException("give --retain-until or --retention, not both");
    }
    if (retention != null) {
      return Instant.now().plus(Durations.parse("--retention", retention));
    }
    try {
      return retainUntil == null ? null : Instant.parse(retainUntil);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("--retain-until '" + retainUntil + "' is no ISO-8601 instant (e.g. 2031-01-01T00:00:00Z)");
    }
  }

  @Override
  public Integer call() throws IOException {
    Path absolute = source.toAbsolutePath().normalize();
    ChangedExtents extents = changedExtents == null ? null : ChangedExtents.parse(changedExtents);
    Instant until = retainUntil();
    String kind = Files.isRegularFile(absolute) ? "file" : "device";
    BackupResult r;
    try (FileBlockSource src = FileBlockSource.open(absolute)) {
      // The vault opens without its index: the job reads it under its lock, while the previous point is read.
      r = vault.withRepositoryWithoutIndex(repo -> BackupJob.run(repo, src, previous(repo, absolute.toString()).map(prev -> {
        Trace.mark("previous point loaded");
        if (extents != null && prev == null) {
          System.err.println("vaultgate backup: no previous recovery point of " + absolute + "; reading the whole source");
        }
        return BackupJob.Options.defaults(PointSummary.DISK)
            .withPrevious(prev)
            .withChangedExtents(extents)
            .withMetadata(PointSummary.metadata(absolute.toString(), kind))
            .withProgress(ProgressBar.forStderr("backup"))
            .withRetainUntil(until);
      })));
    }
    if (json) {
      System.out.println(new JsonObject()
          .put("recoveryPointId", r.recoveryPointId())
          .put("parentId", r.parentId())
          .put("source", absolute.toString())
          .put("sourceBytes", r.sourceBytes())
          .put("bytesRead", r.bytesRead())
          .put("bytesNew", r.bytesNew())
          .put("blocksChanged", r.blocksChanged())
          .put("chunksNew", r.chunksNew())
          .put("blocksSparse", r.blocksSparse())
          .put("blocksTotal", r.blocksTotal())
          .put("seconds", r.seconds())
          .encode());
    } else {
      System.out.printf("recovery point %s of %s: %s read, %d blocks changed, %s new in the vault, %.1f s%n",
          r.recoveryPointId(), absolute, Units.bytes(r.bytesRead()), r.blocksChanged(), Units.bytes(r.bytesNew()), r.seconds());
    }
    return 0;
  }

  /** The point to continue from: --parent, else the newest point of the same source. */
  private Future<Manifest> previous(Repository repo, String sourcePath) {
    if (parent != null) {
      return repo.loadPoint(parent);
    }
    return repo.listPoints().compose(ids -> newestOf(repo, ids, ids.size() - 1, sourcePath));
  }

  /**
   * The newest point is read whole at once (it is usually this source's: no second request); older ones are told apart
   * by their headers (a large disk's manifest is hundreds of megabytes), and read whole once one is of this source.
   */
  private static Future<Manifest> newestOf(Repository repo, List<String> ids, int i, String sourcePath) {
    if (i < 0) {
      return Future.succeededFuture(null);
    }
    if (i == ids.size() - 1) {
      return repo.loadPoint(ids.get(i)).compose(m -> {
        if (sourcePath.equals(PointSummary.sourceOf(PointHeader.of(m)))) {
          return Future.succeededFuture(m);
        }
        m.disks().forEach(DiskBlocks::close);
        return newestOf(repo, ids, i - 1, sourcePath);
      });
    }
    return repo.loadPointHeader(ids.get(i)).compose(h -> sourcePath.equals(PointSummary.sourceOf(h))
        ? repo.loadPoint(h.id()) : newestOf(repo, ids, i - 1, sourcePath));
  }
}
