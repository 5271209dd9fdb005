package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.format.BlockFingerprint;
import dev.vaultgate.vault.format.ChunkEncoding;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.repo.ChunkClaims;
import dev.vaultgate.vault.repo.ChunkIndex;
import dev.vaultgate.vault.repo.IndexRepair;
import dev.vaultgate.vault.repo.LostChunks;
import dev.vaultgate.vault.repo.PackAssembler;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.SealedPack;
import dev.vaultgate.vault.repo.Trace;
import dev.vaultgate.vault.repo.VaultLock;
import dev.vaultgate.vault.storage.Retention;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Backs up one disk into a new recovery point.
 *
 * <p>The disk is cut into units of up to 4 MiB of whole blocks. Each unit runs on a CPU worker: read,
 * skip zero blocks, fingerprint, and for blocks whose fingerprint differs from the previous point's at the
 * same offset, name (HMAC), deduplicate, compress and seal into the current pack. The driver, on one
 * event-loop context, keeps a bounded number of units and pack uploads in flight and stops reading while
 * uploads lag behind (backpressure), so memory stays bounded whatever the disk size. The manifest is
 * written last, after every pack and index segment it depends on: an interrupted backup leaves no point
 * that names missing data, and the packs it did store are indexed, so the next run does not upload them again.
 */
public final class BackupJob {
  private static final Logger log = LoggerFactory.getLogger(BackupJob.class);
  /** A unit is at most this many bytes of consecutive blocks. */
  static final int UNIT_BYTES = 4 << 20;
  /**
   * A unit is read this many bytes at a time (whole blocks), so that the zero test and fingerprint find them in the
   * core's L2 cache right after the kernel copied them: measured on a 4 GiB image, 256 KiB pieces scan 13% faster
   * than 4 MiB ones and 1 MiB ones back up 4% slower.
   */
  static final int PIECE_BYTES = 256 << 10;
  /**
   * After a piece of zeros only, the next is this large: runs of zeros (holes of a thin disk) are only zero-tested, and
   * the kernel hands out holes in large reads far faster (a 64 GiB image with 256 MiB of data: 23.8 s -> 18.9 s).
   */
  static final int ZERO_RUN_PIECE_BYTES = 1 << 20;

  /**
   * @param retainUntil in a locked vault, how long the new point is retained (null: the vault lock's minimum);
   *                    every pack, index segment and the manifest it needs is retained at least that long
   * @param repairIndex before reading the source, bring the index in line with the packs ({@link IndexRepair}, the
   *                    default): index the packs an interrupted earlier run stored without their index segment, so
   *                    their chunks are not uploaded again, and forget packs found missing, so that their chunks are
   *                    stored again. One LIST of every pack, two ranged GETs per orphan; off only for a caller that
   *                    just did it (the second disk of one VM)
   */
  public record Options(String diskName, Manifest previous, ChangedExtents changedExtents, String metadataJson,
                        int maxUploads, Progress progress, Instant retainUntil, boolean repairIndex) {
    public Options(String diskName, Manifest previous, ChangedExtents changedExtents, String metadataJson,
                   int maxUploads, Progress progress) {
      this(diskName, previous, changedExtents, metadataJson, maxUploads, progress, null, true);
    }

    public static Options defaults(String diskName) {
      return new Options(diskName, null, null, "{}", 4, Progress.NONE);
    }

    public Options withPrevious(Manifest p) {
      return new Options(diskName, p, changedExtents, metadataJson, maxUploads, progress, retainUntil, repairIndex);
    }

    public Options withChangedExtents(ChangedExtents c) {
      return new Options(diskName, previous, c, metadataJson, maxUploads, progress, retainUntil, repairIndex);
    }

    public Options withMetadata(String json) {
      return new Options(diskName, previous, changedExtents, json, maxUploads, progress, retainUntil, repairIndex);
    }

    public Options withProgress(Progress p) {
      return new Options(diskName, previous, changedExtents, metadataJson, maxUploads, p, retainUntil, repairIndex);
    }

    public Options withMaxUploads(int n) {
      return new Options(diskName, previous, changedExtents, metadataJson, n, progress, retainUntil, repairIndex);
    }

    public Options withRetainUntil(Instant until) {
      return new Options(diskName, previous, changedExtents, metadataJson, maxUploads, progress, until, repairIndex);
    }

    public Options withIndexRepair(boolean repair) {
      return new Options(diskName, previous, changedExtents, metadataJson, maxUploads, progress, retainUntil, repair);
    }
  }

  /** A run of consecutive blocks read together. */
  private record Unit(long firstBlock, int blocks) {
  }

  /** What a unit found: per block, sparse or a chunk id and fingerprint. */
  private static final class UnitResult {
    final Unit unit;
    final boolean[] sparse;
    final byte[] ids;
    final byte[] fps;
    final List<SealedPack> packs = new ArrayList<>(1);
    long bytesRead;
    long changed;
    long chunksNew;
    long sparseCount;

    UnitResult(Unit unit) {
      this.unit = unit;
      this.sparse = new boolean[unit.blocks];
      this.ids = new byte[unit.blocks * DiskBlocks.ID];
      this.fps = new byte[unit.blocks * DiskBlocks.FP];
    }
  }

  /** Per CPU worker: the unit being read (direct: filled by the kernel without a heap copy) and one block to name. */
  private static final ThreadLocal<ByteBuffer> READ_BUFFER = new ThreadLocal<>();
  private static final ThreadLocal<byte[]> BLOCK_BUFFER = new ThreadLocal<>();

  private final Repository repo;
  private final BlockSource source;
  private final Options options;
  /** Object Lock retention of everything this point writes and needs; null in a vault that is not locked. */
  private final Retention retention;
  /** Chunks the vault lost ({@link IndexRepair}): unread blocks naming one are read after all. */
  private final LostChunks lost;
  private final Promise<BackupResult> done = Promise.promise();
  private final VaultKeys keys;
  private final ChunkIndex index;
  private final BlockFingerprint fingerprint;
  private final PackAssembler assembler;
  private final int blockSize;
  private final DiskBlocks previous;
  private final ChunkClaims claims;
  private final LongAdder bytesNew = new LongAdder();
  private final long startNanos = System.nanoTime();
  private final String pointId = ObjectIds.newId();

  private long size;
  private long blockCount;
  private List<Unit> units;
  /** Results of units that finished ahead of an earlier one; merged into {@link #blocks} in disk order, then dropped. */
  private UnitResult[] results;
  private int nextToMerge;
  private DiskBlocks.Builder blocks;
  /** The previous point's next entry not yet merged. */
  private int previousEntry;
  private final byte[] copyId = new byte[DiskBlocks.ID];
  private final byte[] copyFp = new byte[DiskBlocks.FP];
  private long totalChanged;
  private long totalChunksNew;
  private long totalSparse;
  private long totalRead;
  private int nextUnit;
  private int unitsInFlight;
  private int uploadsInFlight;
  private final ArrayDeque<SealedPack> packsWaiting = new ArrayDeque<>();
  /** The last, partial pack: sealed only after every unit is done, and the manifest only after it is stored. */
  private enum Flush { NOT_STARTED, RUNNING, DONE }

  private Flush flush = Flush.NOT_STARTED;
  private boolean finishing;
  private long bytesScanned;
  /** The first failure; the job reports it once nothing it started is still running. */
  private Throwable failure;
  private long bytesToScan;

  private BackupJob(Repository repo, BlockSource source, Options options, Retention retention, LostChunks lost) {
    this.repo = repo;
    this.source = source;
    this.options = options;
    this.retention = retention;
    this.lost = lost;
    this.keys = repo.keys();
    this.index = repo.index();
    this.fingerprint = new BlockFingerprint(keys.fingerprintSeed());
    this.claims = new ChunkClaims(index);
    this.assembler = repo.newPackAssembler();
    this.blockSize = repo.config().settings().blockSize();
    DiskBlocks prev = options.previous() == null ? null : options.previous().disk(options.diskName());
    this.previous = prev != null && prev.blockSize() == blockSize ? prev : null;
  }

  /** Starts the backup; must be called on a Vert.x context, where the driver then runs. */
  public static Future<BackupResult> run(Repository repo, BlockSource source, Options options) {
    try {
      repo.retentionFor(options.retainUntil()); // a retention the lock refuses fails before anything is written
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return run(repo, source, Future.succeededFuture(options));
  }

  /**
   * {@link #run(Repository, BlockSource, Options)} with options still being prepared (typically the previous point
   * being read), while the vault lock is taken and the index read: a command that opened its vault without the index
   * ({@link Repository#openWithoutIndex}) reads it here once, under the lock, alongside the previous point.
   */
  public static Future<BackupResult> run(Repository repo, BlockSource source, Future<Options> pendingOptions) {
    Context ctx = repo.vertx().getOrCreateContext();
    // A shared vault lock for the whole job: gc (exclusive) cannot delete a chunk this backup reuses. Under it, the
    // index is read or brought up to date first: a repository opened before a gc ran (kept open across jobs, or opened
    // just before the lock) has an index that may name chunks that are gone.
    return VaultLock.shared(repo, "backup of " + source.describe()).compose(lock ->
        Future.all(repo.refreshIndex(), pendingOptions).compose(ready -> {
          Options options = pendingOptions.result();
          Retention retention = repo.retentionFor(options.retainUntil()); // refused: fails before any pack is written
          Future<Void> repaired = !options.repairIndex() ? Future.succeededFuture() : IndexRepair.repair(repo)
              .<Void>map(report -> {
                Trace.mark("orphan packs adopted: " + report.packsAdopted() + " of " + report.orphans()
                    + "; lost packs: " + report.packsLost().size());
                return null;
              });
          // Only blocks kept without being read can name a lost chunk unnoticed: a block that is read is looked up.
          boolean readsAll = options.changedExtents() == null || options.previous() == null;
          return repaired.compose(a -> readsAll ? Future.succeededFuture(LostChunks.NONE) : repo.lostChunks()
              .recover(e -> {
                log.warn("vault {}: records of lost chunks unreadable ({}): every block kept from the previous point is"
                    + " looked up in the index", repo.name(), e.getMessage());
                return Future.succeededFuture(LostChunks.ANY);
              })).compose(lost -> {
            BackupJob job = new BackupJob(repo, source, options, retention, lost);
            ctx.runOnContext(v -> job.start());
            return job.done.future();
          });
        }).eventually(lock::release));
  }

  private void start() {
    if (previous == null) {
      repo.warmUpCrypto(); // a first backup seals every block
    }
    repo.onCpu(() -> {
      long s;
      try {
        s = source.size();
      } catch (IOException e) {
        throw new SourceException("cannot read source " + source.describe() + ": " + e.getMessage());
      }
      return new Sized(s, lostBlocks(s));
    }).onSuccess(sized -> {
      size = sized.size();
      blockCount = (size + blockSize - 1) / blockSize;
      units = planUnits(sized.lostBlocks());
      Trace.mark("backup planned: " + units.size() + " units");
      results = new UnitResult[units.size()];
      blocks = DiskBlocks.builder(options.diskName(), size, blockSize);
      bytesToScan = units.stream().mapToLong(u -> Math.min((long) u.blocks * blockSize, size - u.firstBlock * blockSize)).sum();
      pump();
    }).onFailure(this::fail);
  }

  /** The source's size, and the blocks to read because their chunks were lost ({@link #lostBlocks}). */
  private record Sized(long size, List<Long> lostBlocks) {
  }

  /**
   * Blocks of the previous point whose chunks are lost ({@link LostChunks}) and placed nowhere else by the index: kept
   * without being read, they would name a chunk that is gone. A pass over the previous point, only when chunks were
   * lost and only changed extents are read.
   */
  private List<Long> lostBlocks(long sourceSize) {
    if (lost.isEmpty() || previous == null) { // lost is NONE unless only changed extents are read
      return List.of();
    }
    List<Long> blocks = new ArrayList<>();
    byte[] id = new byte[DiskBlocks.ID];
    for (int i = 0; i < previous.entryCount(); i++) {
      previous.chunkIdAt(i, id, 0);
      if (lost.mayContain(id, 0) && !index.contains(id, 0) && previous.blockAt(i) * blockSize < sourceSize) {
        blocks.add(previous.blockAt(i));
      }
    }
    if (!blocks.isEmpty()) {
      log.warn("vault {}: {} block(s) of {} outside its changed extents named chunks the vault lost: read again",
          repo.name(), blocks.size(), source.describe());
    }
    return blocks;
  }

  /**
   * Which blocks to read: all of them, or with changed extents only those, any the previous point lacks, and
   * {@code lostBlocks}.
   */
  private List<Unit> planUnits(List<Long> lostBlocks) {
    List<long[]> ranges = new ArrayList<>(); // [first block, end block)
    if (options.changedExtents() == null || previous == null) {
      ranges.add(new long[] {0, blockCount});
    } else {
      lostBlocks.forEach(b -> ranges.add(new long[] {b, b + 1}));
      for (ChangedExtents.Extent e : options.changedExtents().extents()) {
        long first = e.offset() / blockSize;
        long end = e.length() == 0 ? first : Math.min(blockCount, (e.end() - 1) / blockSize + 1); // no overflow near Long.MAX_VALUE
        if (first < end) {
          ranges.add(new long[] {first, end});
        }
      }
      // Blocks past the previous disk's end are new, and a last block whose length changed must be read again.
      long readFrom = size == previous.size() ? blockCount : Math.min(previous.size() / blockSize, blockCount);
      ranges.add(new long[] {readFrom, blockCount});
      ranges.sort((a, b) -> Long.compare(a[0], b[0]));
    }
    int perUnit = Math.max(1, UNIT_BYTES / blockSize);
    List<Unit> plan = new ArrayList<>();
    long[] current = null;
    for (long[] r : ranges) {
      if (current != null && r[0] <= current[1]) {
        current[1] = Math.max(current[1], r[1]);
        continue;
      }
      split(current, perUnit, plan);
      current = r.clone();
    }
    split(current, perUnit, plan);
    return plan;
  }

  private static void split(long[] range, int perUnit, List<Unit> plan) {
    if (range == null) {
      return;
    }
    for (long b = range[0]; b < range[1]; b += perUnit) {
      plan.add(new Unit(b, (int) Math.min(perUnit, range[1] - b)));
    }
  }

  private void pump() {
    if (failure != null) {
      settle();
      return;
    }
    int maxUnits = 2 * Repository.cores();
    while (nextUnit < units.size() && unitsInFlight < maxUnits
        && uploadsInFlight + packsWaiting.size() < options.maxUploads()) {
      int u = nextUnit++;
      unitsInFlight++;
      repo.onCpu(() -> process(units.get(u))).onComplete(driven(ar -> {
        unitsInFlight--;
        if (ar.failed()) {
          fail(ar.cause());
          return;
        }
        UnitResult r = ar.result();
        results[u] = r;
        mergeReady();
        bytesScanned += r.bytesRead;
        options.progress().update(bytesScanned, bytesToScan);
        packsWaiting.addAll(r.packs);
        r.packs.clear();
        upload();
        pump();
      }));
    }
    if (nextUnit == units.size() && unitsInFlight == 0 && flush == Flush.NOT_STARTED) {
      flush = Flush.RUNNING;
      Trace.mark("all units read");
      repo.onCpu(assembler::flush).onComplete(driven(ar -> {
        flush = Flush.DONE;
        if (ar.failed()) {
          fail(ar.cause());
          return;
        }
        if (ar.result() != null) {
          packsWaiting.add(ar.result());
        }
        upload();
        pump();
      }));
    }
    if (flush == Flush.DONE && uploadsInFlight == 0 && packsWaiting.isEmpty() && !finishing) {
      finishing = true;
      Trace.mark("all packs stored");
      finish();
    }
  }

  private void upload() {
    while (uploadsInFlight < options.maxUploads() && !packsWaiting.isEmpty() && failure == null) {
      SealedPack pack = packsWaiting.poll();
      uploadsInFlight++;
      repo.storePack(pack, retention).onComplete(driven(ar -> {
        uploadsInFlight--;
        pack.release();
        if (ar.failed()) {
          fail(ar.cause());
          return;
        }
        bytesNew.add(pack.length());
        claims.release(pack.entries());
        upload();
        pump();
      }));
    }
  }

  private UnitResult process(Unit unit) throws IOException {
    UnitResult r = new UnitResult(unit);
    long start = unit.firstBlock * blockSize;
    int len = (int) Math.min((long) unit.blocks * blockSize, size - start);
    // The unit lands in a direct buffer in one kernel copy; zero test and fingerprint read it where it lies,
    // and only a block that must be named (changed or new) is copied to the heap for HMAC, zstd and AES.
    // It is read in pieces (PIECE_BYTES, or ZERO_RUN_PIECE_BYTES after a piece of zeros only).
    int dataPiece = Math.max(blockSize, PIECE_BYTES / blockSize * blockSize);
    int zeroPiece = Math.max(blockSize, ZERO_RUN_PIECE_BYTES / blockSize * blockSize);
    ByteBuffer buf = readBuffer(Math.min(len, Math.max(dataPiece, zeroPiece)));
    r.bytesRead = len;
    int pieceStart = 0;
    int pieceEnd = 0;
    boolean pieceAllZero = false;
    for (int i = 0; i < unit.blocks; i++) {
      long blockNo = unit.firstBlock + i;
      int at = i * blockSize;
      if (at >= pieceEnd) {
        pieceStart = at;
        pieceEnd = Math.min(len, at + (pieceAllZero ? zeroPiece : dataPiece));
        readFully(start + pieceStart, buf, pieceEnd - pieceStart);
        pieceAllZero = true;
      }
      int off = at - pieceStart;
      int blen = Math.min(blockSize, len - at);
      int prevEntry = previous == null ? -1 : previous.find(blockNo);
      if (Zeros.allZero(buf, off, blen)) {
        r.sparse[i] = true;
        r.sparseCount++;
        if (prevEntry >= 0) {
          r.changed++;
        }
        continue;
      }
      pieceAllZero = false;
      int idOff = i * DiskBlocks.ID;
      int fpOff = i * DiskBlocks.FP;
      fingerprint.fingerprint(buf, off, blen, r.fps, fpOff);
      if (prevEntry >= 0 && previous.lengthOf(blockNo) == blen && previous.fingerprintEquals(prevEntry, r.fps, fpOff)) {
        previous.chunkIdAt(prevEntry, r.ids, idOff);
        if (index.contains(r.ids, idOff)) {
          continue; // unchanged since the previous point: no hashing, no upload
        }
      }
      name(r, buf, off, blen, idOff);
    }
    return r;
  }

  /**
   * Names a changed or new block (HMAC), and unless another block already claimed that content, compresses and seals
   * it into the pack. Apart from {@link #process}'s loop so that the loop stays small: in an incremental backup it runs
   * over every block of the disk and is compiled early and quickly, and this, for the few changed blocks, on its own.
   */
  private void name(UnitResult r, ByteBuffer buf, int off, int blen, int idOff) {
    byte[] block = blockBuffer(blockSize);
    buf.get(off, block, 0, blen);
    byte[] id = keys.chunkId(block, 0, blen);
    System.arraycopy(id, 0, r.ids, idOff, DiskBlocks.ID);
    r.changed++;
    if (!claims.claim(id)) {
      return; // deduplicated
    }
    ChunkEncoding.Encoded encoded = ChunkEncoding.encode(block, 0, blen);
    r.chunksNew++;
    SealedPack full = assembler.seal(id, encoded, blen);
    if (full != null) {
      r.packs.add(full);
    }
  }

  private static ByteBuffer readBuffer(int len) {
    ByteBuffer buf = READ_BUFFER.get();
    if (buf == null || buf.capacity() < len) {
      buf = ByteBuffer.allocateDirect(len);
      READ_BUFFER.set(buf);
    }
    return buf;
  }

  private static byte[] blockBuffer(int len) {
    byte[] block = BLOCK_BUFFER.get();
    if (block == null || block.length < len) {
      block = new byte[len];
      BLOCK_BUFFER.set(block);
    }
    return block;
  }

  private void readFully(long position, ByteBuffer buf, int len) throws IOException {
    buf.clear().limit(len);
    while (buf.hasRemaining()) {
      long at = position + buf.position();
      int n;
      try {
        n = source.read(at, buf);
      } catch (IOException e) {
        throw new SourceException("cannot read source " + source.describe() + " at offset " + at + ": " + e.getMessage());
      }
      if (n < 0) {
        throw new SourceException("source " + source.describe() + " shrank during backup: it was " + size
            + " bytes, but reading ended at " + at + "; no recovery point was made");
      }
    }
  }

  private void finish() {
    repo.onCpu(() -> {
      long now;
      try {
        now = source.size();
      } catch (IOException e) {
        throw new SourceException("cannot read source " + source.describe() + ": " + e.getMessage());
      }
      if (now != size) {
        throw new SourceException("source " + source.describe() + " changed size during backup (" + size + " -> " + now
            + " bytes); no recovery point was made");
      }
      return buildManifest();
    }).compose(manifest -> repo.retainReferenced(manifest, retention) // reused packs retained before the manifest exists
        .compose(extended -> repo.storePoint(manifest, retention)).map(manifest)).onComplete(ar -> {
      if (ar.failed()) {
        fail(ar.cause());
        return;
      }
      Trace.mark("recovery point stored");
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      done.tryComplete(new BackupResult(pointId, options.previous() == null ? null : options.previous().id(), size,
          totalRead, bytesNew.sum(), totalChanged, totalChunksNew, totalSparse, blockCount, seconds));
    });
  }

  /**
   * Appends the results of the units that are next in disk order to the manifest's block table, with the
   * previous point's blocks that lie before and were not read. Runs on the driver's context; only the
   * results of units that finished early wait here, so memory does not grow with the disk.
   */
  private void mergeReady() {
    while (nextToMerge < results.length && results[nextToMerge] != null) {
      UnitResult r = results[nextToMerge];
      results[nextToMerge++] = null;
      Unit u = r.unit;
      copyPreviousBefore(u.firstBlock);
      for (int i = 0; i < u.blocks; i++) {
        if (!r.sparse[i]) {
          blocks.add(u.firstBlock + i, r.ids, i * DiskBlocks.ID, r.fps, i * DiskBlocks.FP);
        }
      }
      while (previous != null && previousEntry < previous.entryCount() && previous.blockAt(previousEntry) < u.firstBlock + u.blocks) {
        previousEntry++; // read again in this unit
      }
      totalChanged += r.changed;
      totalChunksNew += r.chunksNew;
      totalSparse += r.sparseCount;
      totalRead += r.bytesRead;
    }
  }

  /**
   * With changed extents, blocks that were not read keep the previous point's content; without, every block
   * was read and the previous point only lent fingerprints.
   */
  private void copyPreviousBefore(long block) {
    boolean copyUnread = options.changedExtents() != null && previous != null;
    for (; previous != null && previousEntry < previous.entryCount() && previous.blockAt(previousEntry) < block; previousEntry++) {
      long b = previous.blockAt(previousEntry);
      if (copyUnread && b < blockCount) {
        previous.chunkIdAt(previousEntry, copyId, 0);
        previous.fingerprintAt(previousEntry, copyFp, 0);
        blocks.add(b, copyId, 0, copyFp, 0);
      }
    }
  }

  /** The manifest, once every unit is merged. */
  private Manifest buildManifest() {
    copyPreviousBefore(Long.MAX_VALUE);
    return new Manifest(pointId, System.currentTimeMillis(), options.previous() == null ? null : options.previous().id(),
        options.metadataJson(), List.of(blocks.build()));
  }

  /**
   * Stops starting work, and fails the job once every unit and upload already started has ended, so that
   * whoever looks at the vault next sees all that this run stored. Nothing is undone: stored packs are
   * indexed and reused by the next run, and no manifest names them yet.
   */
  /**
   * A completion handler of the job's driver that fails the job with whatever it throws (a heap too small for the block
   * list, a bug): thrown on the event loop it would fail nothing, and the command would wait for ever.
   */
  private <T> Handler<AsyncResult<T>> driven(Handler<AsyncResult<T>> handler) {
    return ar -> {
      try {
        handler.handle(ar);
      } catch (Throwable t) {
        fail(t);
      }
    };
  }

  private void fail(Throwable cause) {
    if (failure == null) {
      failure = cause;
    }
    packsWaiting.clear();
    settle();
  }

  private void settle() {
    if (unitsInFlight == 0 && uploadsInFlight == 0 && flush != Flush.RUNNING) {
      done.tryFail(failure);
    }
  }
}
