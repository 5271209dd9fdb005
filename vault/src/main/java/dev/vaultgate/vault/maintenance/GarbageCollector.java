package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.backup.Progress;
import dev.vaultgate.vault.format.CorruptObjectException;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.PackAssembler;
import dev.vaultgate.vault.repo.PackRanges;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.SealedPack;
import dev.vaultgate.vault.repo.VaultLock;
import dev.vaultgate.vault.storage.ObjectInfo;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Removes what no recovery point references. A pack with no live chunk is deleted; a pack whose live
 * chunks fill less than half of it is repacked (its live sealed blobs are copied as they are into new
 * packs: no decryption needed, the chunk id is their AAD). The order keeps the vault valid at every
 * step, even if gc is interrupted: new packs and their index, then index segments for the packs kept (at most
 * {@value #SEGMENT_ENTRIES} entries each), then the old index segments, and only then the old packs. With more than
 * {@value #MERGE_ABOVE_SEGMENTS} segments it does so even when nothing else is to be collected: it merges them (as
 * restic's prune and kopia's index compaction do), since every open of the vault reads each one.
 *
 * <p>gc holds an exclusive {@code VaultLock}: it refuses to start while a backup holds the vault, and no
 * backup starts while it runs. Jobs of a process that keeps a repository open bring its index up to date first
 * ({@link Repository#refreshIndex}), gc included.
 *
 * <p>In a locked vault ({@link LockedGarbageCollector}) gc also leaves alone whatever Object Lock still retains
 * or holds, never asks to bypass governance retention, and never shortens a retention.
 */
public final class GarbageCollector {
  /** A pack whose live chunks fill less than this share of it is repacked. */
  static final double REPACK_BELOW = 0.5;
  /**
   * More index segments than this are merged even when nothing else is collected: every backup writes at least one,
   * and every open of the vault reads (GET, decrypt, parse) each of them.
   */
  static final int MERGE_ABOVE_SEGMENTS = 64;
  /** Entries per index segment that gc writes (~3 MB sealed): each is fetched whole when the vault opens. */
  static final int SEGMENT_ENTRIES = Repository.SEGMENT_ENTRIES;
  /**
   * Packs repacked at once. With two, each read whole beside the pack being filled, a gc of a 2 GiB vault of 4 KiB
   * chunks ran out of a 64 MiB heap; one at a time, in ranged reads of its live chunks ({@link #copyLiveChunks}), a
   * repack holds the pack being filled and one read of at most {@link #REPACK_READ} bytes.
   */
  static final int REPACKS_AT_ONCE = 1;

  private GarbageCollector() {
  }

  /**
   * Collects under an exclusive vault lock: it fails while a backup runs, and no backup starts meanwhile. The index is
   * read again under the lock first: one read before it (at open, or days before in a process that keeps the vault
   * open) lacks the segments of backups that ended since, and their packs, named by no index entry, would look dead.
   */
  public static Future<GcReport> collect(Repository repo) {
    return collect(repo, Progress.NONE);
  }

  /**
   * {@link #collect(Repository)}, telling {@code progress} how far it is through the packs it repacks or deletes (their
   * stored bytes; a locked vault's collection tells nothing).
   */
  public static Future<GcReport> collect(Repository repo, Progress progress) {
    return collect(repo, MERGE_ABOVE_SEGMENTS, SEGMENT_ENTRIES, progress);
  }

  /** {@link #collect(Repository)} with other limits for merging index segments (tests). */
  static Future<GcReport> collect(Repository repo, int mergeAboveSegments, int segmentEntries) {
    return collect(repo, mergeAboveSegments, segmentEntries, Progress.NONE);
  }

  private static Future<GcReport> collect(Repository repo, int mergeAboveSegments, int segmentEntries, Progress progress) {
    return VaultLock.exclusive(repo, "gc").compose(lock -> repo.refreshIndex().compose(v -> repo.loadAllPoints())
        .compose(points -> repo.storage().list(ObjectKeys.PACKS).compose(packObjects -> repo.config().settings().locked()
            ? LockedGarbageCollector.collect(repo, points, packObjects)
            : collect(repo, points, packObjects, mergeAboveSegments, segmentEntries, progress))
            // Repacking moved chunks: the points' keyless reference lists follow (the coordinator's lifecycle reads them).
            .compose(report -> ReferenceLists.refresh(repo, points).map(report)))
        .eventually(lock::release));
  }

  private static Future<GcReport> collect(Repository repo, List<Manifest> points, List<ObjectInfo> packObjects,
      int mergeAboveSegments, int segmentEntries, Progress progress) {
    List<String> oldSegments = repo.indexSegments();
    return repo.onCpu(() -> GcPlan.of(repo.index(), points, packObjects, segmentEntries)).compose(plan -> {
      if (plan.nothingToCollect() && oldSegments.size() <= mergeAboveSegments) {
        return Future.succeededFuture(new GcReport(0, 0, packObjects.size(), 0, 0, 0));
      }
      return carryOut(repo, plan, oldSegments, progress).map(v -> new GcReport(plan.delete.size(), plan.repack.size(),
          packObjects.size() - plan.delete.size() - plan.repack.size(), plan.bytesFreed, plan.deadChunks,
          oldSegments.size()));
    });
  }

  /**
   * New packs of the repacked chunks and their index, then the index segments of the packs kept (each built when it is
   * written), then the old segments go, and only then the old packs.
   */
  private static Future<Void> carryOut(Repository repo, GcPlan plan, List<String> oldSegments, Progress progress) {
    PackAssembler assembler = repo.newPackAssembler();
    long toHandle = plan.removedSizes.values().stream().mapToLong(Long::longValue).sum();
    AtomicLong handled = new AtomicLong();
    Set<String> repacked = new HashSet<>(plan.repack);
    return Bounded.forEach(plan.repack, REPACKS_AT_ONCE,
            packId -> copyLiveChunks(repo, packId, plan.repackEntries.get(packId), assembler, repo::storePack)
                .onSuccess(copied -> progress.update(handled.addAndGet(plan.removedSizes.get(packId)), toHandle)))
        .compose(v -> repo.onCpu(assembler::flush))
        .compose(last -> last == null ? Future.succeededFuture() : repo.storePack(last))
        .compose(v -> repo.flushIndex()) // the new packs' segments
        // One new segment at a time: each is ~15 MB on the heap while it is built, encoded and sealed.
        .compose(v -> Bounded.forEach(plan.segments, 1,
            range -> repo.onCpu(() -> plan.segment(range)).compose(repo::storeIndexSegment)))
        .compose(v -> Bounded.forEach(oldSegments, 8, s -> repo.storage().delete(ObjectKeys.index(s))))
        .compose(v -> {
          List<String> gone = new ArrayList<>(plan.delete);
          gone.addAll(plan.repack);
          return Bounded.forEach(gone, 8, p -> repo.storage().delete(ObjectKeys.pack(p))
              .onSuccess(deleted -> {
                if (!repacked.contains(p)) { // a repacked pack was told when its chunks were copied
                  progress.update(handled.addAndGet(plan.removedSizes.get(p)), toHandle);
                }
              }));
        });
  }

  /**
   * Moves the live blobs of one pack into new packs, each stored by {@code store} as it fills (gc of a locked vault
   * too). Only the live blobs are read, in ranged reads of at most {@link #REPACK_READ} bytes: a pack to repack is
   * mostly garbage, and a whole pack on the heap beside the one being filled was what a gc in a small heap ran out on.
   */
  static Future<Void> copyLiveChunks(Repository repo, String packId, List<IndexEntry> liveEntries, PackAssembler assembler,
                                     Function<SealedPack, Future<?>> store) {
    List<PackRanges.Range<IndexEntry>> reads = PackRanges.plan(liveEntries, e -> e, REPACK_READS);
    return Bounded.forEach(reads, 1, range -> repo.storage().getRange(ObjectKeys.pack(packId), range.start(), range.length())
        .compose(bytes -> repo.onCpu(() -> {
          if (bytes.length < range.length()) {
            throw new CorruptObjectException("pack " + ObjectKeys.pack(packId) + " ends before its indexed chunks ("
                + bytes.length + " of " + range.length() + " bytes from offset " + range.start() + ")");
          }
          List<SealedPack> full = new ArrayList<>();
          for (IndexEntry e : range.items()) {
            byte[] blob = new byte[e.length()];
            System.arraycopy(bytes, (int) (e.offset() - range.start()), blob, 0, e.length());
            SealedPack p = assembler.add(e.chunkId(), e.encoding(), e.rawLength(), blob);
            if (p != null) {
              full.add(p);
            }
          }
          return full;
        }))
        .compose(full -> Bounded.forEach(full, 2, store)));
  }

  /** Ranged reads of a repack: neighbouring live blobs up to 256 KiB apart joined, at most {@link #REPACK_READ} each. */
  private static final int REPACK_READ = 4 << 20;
  private static final PackRanges.Limits REPACK_READS = new PackRanges.Limits(256 << 10, REPACK_READ, Integer.MAX_VALUE);
}
