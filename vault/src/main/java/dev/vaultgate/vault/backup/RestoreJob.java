package dev.vaultgate.vault.backup;

import com.sun.nio.file.ExtendedOpenOption;
import dev.vaultgate.vault.cold.ColdReads;
import dev.vaultgate.vault.crypto.TamperedDataException;
import dev.vaultgate.vault.format.ChunkBlob;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.ChunkIndex;
import dev.vaultgate.vault.repo.PackRanges;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Restores one disk of a recovery point to a file or block device.
 *
 * <p>Chunks are grouped by pack and fetched with ranged GETs of neighbouring chunks, several at once, each into a
 * buffer reused fetch after fetch. Each chunk is authenticated (GCM tag) and checked against its id on a CPU worker,
 * without allocating, and its plaintext gathered into the fetch's direct buffer; blocks adjacent on the disk become one
 * positional write. One writer thread writes the target: two threads writing one file only spin on its inode lock.
 * Zero blocks are holes in a file. A file target is written under a temporary name and renamed only when complete
 * and synced, so a failed restore never leaves a file that looks whole.
 */
public final class RestoreJob {
  /**
   * Neighbouring chunks closer than 1 MiB are fetched in one ranged GET of at most 8 MiB stored and 4 MiB of
   * plaintext (the size of a fetch's output buffer).
   */
  private static final PackRanges.Limits READS = new PackRanges.Limits(1 << 20, 8 << 20, 4 << 20);
  private static final int FETCH_PARALLELISM = 6;
  /** The executor of the one thread that writes restore targets. */
  public static final String WRITER = "vault-restore-write";
  /** Blocks restored per window: 1 GiB at 64 KiB blocks. */
  private static final int WINDOW_BLOCKS = 16384;
  private static final String PARTIAL_SUFFIX = ".vaultgate-partial";
  /** O_DIRECT wants the buffer address, the file position and the length aligned; 4 KiB covers 512-byte devices too. */
  private static final int DIRECT_ALIGN = 4096;

  /**
   * @param windowBlocks non-sparse blocks planned and restored at a time (bounds the plan's memory)
   * @param skipDamaged  restore what can be read: a chunk that fails authentication or its id, or lies in a pack that is
   *                     missing or truncated, is left as zeros and reported ({@link RestoreResult#damaged()}), where
   *                     otherwise the restore fails and leaves no target
   */
  public record Options(String diskName, boolean overwrite, Progress progress, int windowBlocks, boolean skipDamaged) {
    public static Options defaults() {
      return new Options(null, false, Progress.NONE, WINDOW_BLOCKS, false);
    }

    public Options withOverwrite(boolean o) {
      return new Options(diskName, o, progress, windowBlocks, skipDamaged);
    }

    public Options withProgress(Progress p) {
      return new Options(diskName, overwrite, p, windowBlocks, skipDamaged);
    }

    public Options withDisk(String name) {
      return new Options(name, overwrite, progress, windowBlocks, skipDamaged);
    }

    public Options withWindowBlocks(int n) {
      return new Options(diskName, overwrite, progress, n, skipDamaged);
    }

    public Options withSkipDamaged(boolean skip) {
      return new Options(diskName, overwrite, progress, windowBlocks, skip);
    }
  }

  /** One chunk to fetch and the blocks to write it to, in ascending order. */
  private record ChunkJob(IndexEntry entry, long[] blocks) {
  }

  /** One ranged read of a pack and the chunks in it, in pack order. */
  private record Fetch(String packId, long start, int length, int rawBytes, List<ChunkJob> chunks) {
  }

  private RestoreJob() {
  }

  public static Future<RestoreResult> run(Repository repo, Manifest manifest, Path target, Options options) {
    long startNanos = System.nanoTime();
    DiskBlocks disk = options.diskName() == null ? manifest.disks().get(0) : manifest.disk(options.diskName());
    if (disk == null) {
      return Future.failedFuture(new VaultException("recovery point " + manifest.id() + " has no disk " + options.diskName()));
    }
    repo.warmUpCrypto();
    List<Integer> windows = new ArrayList<>();
    int window = options.windowBlocks();
    for (int from = 0; from < disk.entryCount(); from += window) {
      windows.add(from);
    }
    WorkerExecutor writer = repo.vertx().createSharedWorkerExecutor(WRITER, 1);
    // The index that places the point's chunks: the repository's own, brought up to date (one kept open may predate a
    // gc that moved chunks to new packs), or, opened without it, the segments the point needs (Repository.indexOfPoint).
    // A gc that moves chunks while the restore runs is met where a pack turns out gone (restore(Run, Fetch, boolean)).
    // Packs in an archive class (DEEP_ARCHIVE...) are restored first, all at once; other classes read directly.
    return repo.indexOfPoint(manifest).compose(pointIndex -> repo.onCpu(() -> pointIndex.chunks().packsOf(manifest))
        .compose(packs -> ColdReads.thaw(repo.vertx(), repo.storage(), packs, ColdReads.Options.defaults()))
        .compose(thawed -> repo.onCpu(() -> Target.open(target, disk.size(), options.overwrite()))).compose(out -> {
          Run run = new Run(repo, manifest, disk, out, writer, options, pointIndex.chunks());
          // One window of the disk at a time: the plan's memory is bounded, and each window still reads packs in parallel.
          return Bounded.forEach(windows, 1, from -> repo.onCpu(() -> plan(run, from, Math.min(disk.entryCount(), from + window)))
              .compose(fetches -> Bounded.forEach(fetches, FETCH_PARALLELISM, f -> restore(run, f, false))))
              .compose(v -> writer.executeBlocking(() -> {
                List<RestoreResult.DamagedRange> damaged = run.damagedRanges();
                run.written.addAndGet(out.zeroFill(disk, damaged));
                out.commit();
                options.progress().update(run.written.get(), run.written.get());
                return new RestoreResult(manifest.id(), target.toString(), disk.size(), run.fetched.get(),
                    run.written.get(), run.chunks.get(), (System.nanoTime() - startNanos) / 1e9, damaged);
              }, false))
              .recover(e -> writer.executeBlocking(() -> {
                out.abandon();
                return null;
              }, false).transform(ignored -> Future.<RestoreResult>failedFuture(e)));
        })
        .eventually(() -> {
          pointIndex.close();
          return Future.succeededFuture();
        }))
        .eventually(writer::close);
  }

  /** One restore's target, writer and counters, shared by its fetches. */
  private static final class Run {
    final Repository repo;
    final Manifest manifest;
    final DiskBlocks disk;
    final Target out;
    final WorkerExecutor writer;
    final Options options;
    /** At most FETCH_PARALLELISM fetches hold a slot at a time, so the pool never grows past that. */
    final Queue<Slot> slots = new ConcurrentLinkedQueue<>();
    final AtomicLong fetched = new AtomicLong();
    final AtomicLong written = new AtomicLong();
    final AtomicLong chunks = new AtomicLong();
    /** With {@link Options#skipDamaged}: the blocks left as zeros, and why. */
    private final Queue<Damage> damaged = new ConcurrentLinkedQueue<>();
    /** The index read for the point alone, until a missing pack makes the repository read its whole index. */
    private final ChunkIndex pointIndex;

    Run(Repository repo, Manifest manifest, DiskBlocks disk, Target out, WorkerExecutor writer, Options options,
        ChunkIndex pointIndex) {
      this.repo = repo;
      this.pointIndex = pointIndex;
      this.manifest = manifest;
      this.disk = disk;
      this.out = out;
      this.writer = writer;
      this.options = options;
    }

    /** Where the index places {@code chunkId}; null when nowhere. */
    IndexEntry locate(byte[] chunkId) {
      return repo.indexLoaded() ? repo.index().get(chunkId) : pointIndex.get(chunkId);
    }

    /**
     * Blocks whose chunk cannot be restored: with {@link Options#skipDamaged} they are left as zeros and reported;
     * otherwise the restore fails with {@code why}.
     */
    void damaged(long[] blocks, String why) {
      if (!options.skipDamaged()) {
        throw new VaultException("cannot restore from " + repo.name() + ": " + why);
      }
      damaged.add(new Damage(blocks, why));
    }

    /** The damaged blocks as byte ranges of the disk, in order, neighbours with the same cause merged. */
    List<RestoreResult.DamagedRange> damagedRanges() {
      List<RestoreResult.DamagedRange> perBlock = new ArrayList<>();
      for (Damage d : damaged) {
        for (long block : d.blocks()) {
          perBlock.add(new RestoreResult.DamagedRange(block * disk.blockSize(), disk.lengthOf(block), d.why()));
        }
      }
      perBlock.sort(Comparator.comparingLong(RestoreResult.DamagedRange::offset));
      List<RestoreResult.DamagedRange> ranges = new ArrayList<>();
      for (RestoreResult.DamagedRange r : perBlock) {
        RestoreResult.DamagedRange last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
        if (last != null && last.offset() + last.length() == r.offset() && last.why().equals(r.why())) {
          ranges.set(ranges.size() - 1, new RestoreResult.DamagedRange(last.offset(), last.length() + r.length(), r.why()));
        } else {
          ranges.add(r);
        }
      }
      return ranges;
    }
  }

  /** Blocks of the disk that could not be restored, and why. */
  private record Damage(long[] blocks, String why) {
  }

  /**
   * Reads one range of a pack, opens and checks its chunks, and writes them to the target. A pack that is gone was
   * repacked by a gc since the index was read (a restore takes no vault lock): gc stores the chunks' new packs and index
   * segments before it deletes the old ones, so the index, brought up to date, names where they went, and they are
   * read from there. Missing again after that, the pack is reported.
   */
  private static Future<Void> restore(Run run, Fetch f, boolean indexCaughtUp) {
    Repository repo = run.repo;
    Slot slot = Objects.requireNonNullElseGet(run.slots.poll(), Slot::new);
    String pack = ObjectKeys.pack(f.packId());
    return repo.storage().getRangeInto(pack, f.start(), f.length(), slot.sealed(f.length()))
        .compose(n -> repo.onCpu(() -> {
          slot.writes = 0;
          if (n != f.length()) {
            String why = "read " + n + " of " + f.length() + " bytes at offset " + f.start() + " of pack " + pack
                + " (truncated pack?)";
            f.chunks().forEach(c -> run.damaged(c.blocks(), why));
            return 0L;
          }
          gather(run, f, slot);
          run.chunks.addAndGet(f.chunks().size());
          return run.fetched.addAndGet(f.length());
        }))
        .compose(v -> run.writer.executeBlocking(() -> run.written.addAndGet(run.out.write(slot)), false))
        .<Void>map(n -> {
          run.options.progress().update(run.written.get(), (long) run.disk.entryCount() * run.disk.blockSize());
          run.out.flushInBackground(repo, run.written.get());
          return null;
        })
        .eventually(() -> {
          run.slots.add(slot);
          return Future.succeededFuture();
        })
        .recover(e -> {
          if (!(e instanceof ObjectNotFoundException)) {
            return Future.failedFuture(e);
          }
          if (indexCaughtUp) {
            String why = "pack " + pack + " of recovery point " + run.manifest.id() + " is missing (run 'vaultgate vault check')";
            return repo.onCpu(() -> {
              f.chunks().forEach(c -> run.damaged(c.blocks(), why));
              return null;
            });
          }
          return repo.refreshIndex()
              .compose(v -> repo.onCpu(() -> fetches(relocated(run, f.chunks()))))
              .compose(moved -> Bounded.forEach(moved, 1, m -> restore(run, m, true)));
        });
  }

  /** The ranged reads that restore entries {@code [from, to)} of the disk. */
  private static List<Fetch> plan(Run run, int from, int to) {
    DiskBlocks disk = run.disk;
    Map<ByteBuffer, List<Long>> blocksByChunk = new HashMap<>();
    List<byte[]> order = new ArrayList<>();
    for (int i = from; i < to; i++) {
      byte[] id = disk.chunkIdAt(i);
      List<Long> blocks = blocksByChunk.computeIfAbsent(ByteBuffer.wrap(id), k -> {
        order.add(id);
        return new ArrayList<>(1);
      });
      blocks.add(disk.blockAt(i));
    }
    List<ChunkJob> jobs = new ArrayList<>(order.size());
    for (byte[] id : order) {
      long[] blocks = blocksByChunk.get(ByteBuffer.wrap(id)).stream().mapToLong(Long::longValue).toArray();
      located(run, id, blocks, jobs);
    }
    return fetches(jobs);
  }

  /** {@code chunks} where the index now places them. */
  private static List<ChunkJob> relocated(Run run, List<ChunkJob> chunks) {
    List<ChunkJob> moved = new ArrayList<>(chunks.size());
    for (ChunkJob c : chunks) {
      located(run, c.entry().chunkId(), c.blocks(), moved);
    }
    return moved;
  }

  /** Adds the chunk {@code chunkId} of {@code blocks} to {@code jobs} where the index places it; in none, it is damaged. */
  private static void located(Run run, byte[] chunkId, long[] blocks, List<ChunkJob> jobs) {
    IndexEntry e = run.locate(chunkId);
    if (e == null) {
      run.damaged(blocks, "chunk " + HexFormat.of().formatHex(chunkId, 0, 8) + "... of recovery point " + run.manifest.id()
          + " is in no index segment (run 'vaultgate vault check')");
      return;
    }
    jobs.add(new ChunkJob(e, blocks));
  }

  /** The ranged reads of {@code jobs}, roughly in disk order. */
  private static List<Fetch> fetches(List<ChunkJob> jobs) {
    List<Fetch> fetches = new ArrayList<>();
    for (PackRanges.Range<ChunkJob> r : PackRanges.plan(jobs, ChunkJob::entry, READS)) {
      fetches.add(new Fetch(r.packId(), r.start(), r.length(), r.rawBytes(), r.items()));
    }
    // Read the disk roughly front to back: friendlier to the target's write-back.
    fetches.sort(Comparator.comparingLong(f -> f.chunks().get(0).blocks()[0]));
    return fetches;
  }

  /**
   * Opens every chunk of a fetched range into the slot's output buffer and records the writes that put it on the
   * disk. The buffer holds the chunks in disk order (of each one's first block), whatever their order in the pack:
   * packs fill in the order the backup's workers finish, so neighbours on the disk sit apart in a pack, and in pack
   * order one run on the disk would become a small write per block. A block that follows a recent write on the disk
   * and in the buffer extends that write.
   */
  private static void gather(Run run, Fetch f, Slot slot) {
    Repository repo = run.repo;
    DiskBlocks disk = run.disk;
    List<ChunkJob> chunks = f.chunks();
    int[] at = slot.layOutInDiskOrder(chunks);
    int[] repeats = slot.layOutRepeats(chunks, f.rawBytes());
    ByteBuffer out = slot.output(slot.outputBytes);
    boolean[] opened = new boolean[chunks.size()];
    for (int k = 0; k < chunks.size(); k++) {
      IndexEntry e = chunks.get(k).entry();
      byte[] plain = slot.plain(e.rawLength());
      try {
        ChunkBlob.openInto(repo.keys(), e, slot.sealed, (int) (e.offset() - f.start()), plain, 0);
      } catch (TamperedDataException ex) {
        run.damaged(chunks.get(k).blocks(), "chunk at offset " + e.offset() + " of pack " + ObjectKeys.pack(f.packId())
            + " is damaged (" + ex.getMessage() + ")");
        continue;
      }
      out.put(at[k], plain, 0, e.rawLength());
      for (int copy = 0; copy < slot.copies(k); copy++) {
        out.put(repeats[k] + copy * e.rawLength(), plain, 0, e.rawLength());
      }
      opened[k] = true;
    }
    long blockSize = disk.blockSize();
    // The blocks of all chunks merged into disk order (each chunk's are ascending): chunks that interleave on the disk
    // (a pattern of many blocks repeated) then still make one write per run, not one per block.
    PriorityQueue<int[]> cursors = new PriorityQueue<>(chunks.size() + 1,
        Comparator.comparingLong(c -> chunks.get(c[0]).blocks()[c[1]]));
    for (int n = 0; n < chunks.size(); n++) {
      int k = slot.diskOrder(n);
      if (opened[k] && chunks.get(k).blocks().length > 0) {
        cursors.add(new int[] {k, 0});
      }
    }
    for (int[] c = cursors.poll(); c != null; c = cursors.poll()) {
      ChunkJob job = chunks.get(c[0]);
      long block = job.blocks()[c[1]];
      int len = disk.lengthOf(block);
      if (len != job.entry().rawLength()) {
        throw new VaultException("cannot restore: block " + block + " is " + len + " bytes but its chunk holds "
            + job.entry().rawLength());
      }
      slot.addOrExtendWrite(block * blockSize, at[c[0]], len);
      c[1]++;
      // The chunk again on the blocks right after (one pattern over a whole region of the disk): from its copies laid
      // side by side, a write per run of copies instead of one per block.
      int copies = slot.copies(c[0]);
      for (int left = consecutive(job.blocks(), c[1], block + 1); copies > 0 && left > 0; ) {
        int n = Math.min(copies, left);
        slot.addOrExtendWrite(job.blocks()[c[1]] * blockSize, repeats[c[0]], n * len);
        c[1] += n;
        left -= n;
      }
      if (c[1] < job.blocks().length) {
        cursors.add(c);
      }
    }
  }

  /** How many of {@code blocks} from index {@code from} are {@code first}, {@code first + 1}, and so on. */
  private static int consecutive(long[] blocks, int from, long first) {
    int n = 0;
    while (from + n < blocks.length && blocks[from + n] == first + n) {
      n++;
    }
    return n;
  }

  /** A byte range {@code [start, end)} of a disk. */
  @FunctionalInterface
  interface RangeConsumer {
    void accept(long start, long end) throws IOException;
  }

  /** Calls {@code each} with every maximal byte range of the disk whose blocks are all sparse (zero), in order. */
  static void forEachSparseRange(DiskBlocks disk, RangeConsumer each) throws IOException {
    long runStart = -1;
    for (long block = 0; block <= disk.blockCount(); block++) {
      boolean sparse = block < disk.blockCount() && disk.find(block) < 0;
      if (sparse && runStart < 0) {
        runStart = block * disk.blockSize();
      } else if (!sparse && runStart >= 0) {
        each.accept(runStart, Math.min(disk.size(), block * disk.blockSize()));
        runStart = -1;
      }
    }
  }

  /**
   * The reusable buffers of one fetch in flight: the stored bytes read, one chunk's plaintext, and the fetch's
   * plaintext in a direct buffer (written without another copy) with the writes that place it. Each grows to the
   * largest fetch it served; used by one stage at a time (read, then CPU worker, then the writer).
   */
  private static final class Slot {
    byte[] sealed = new byte[0];
    private byte[] plain = new byte[0];
    private ByteBuffer output = ByteBuffer.allocateDirect(0);
    long[] writeAt = new long[64];
    int[] writeFrom = new int[64];
    int[] writeLength = new int[64];
    int writes;
    /** How many of the latest writes a block may extend: enough for a run and a few copies of it interleaved. */
    private static final int RECENT_WRITES = 8;
    /** A fetch holds at most 4 MiB of plaintext: a million chunks even at 4-byte blocks, in 20 bits. */
    private static final int CHUNK_INDEX_BITS = 20;
    private static final int CHUNK_INDEX_MASK = (1 << CHUNK_INDEX_BITS) - 1;

    byte[] sealed(int length) {
      if (sealed.length < length) {
        sealed = new byte[length];
      }
      return sealed;
    }

    byte[] plain(int length) {
      if (plain.length < length) {
        plain = new byte[length];
      }
      return plain;
    }

    /** The output buffer, its address aligned for O_DIRECT, so runs of whole aligned blocks in it are too. */
    ByteBuffer output(int rawBytes) {
      if (output.capacity() < rawBytes) {
        // alignedSlice rounds the end down too: ask for whole aligned units and one more for the start's shift
        int units = (rawBytes + DIRECT_ALIGN - 1) / DIRECT_ALIGN;
        output = ByteBuffer.allocateDirect((units + 1) * DIRECT_ALIGN).alignedSlice(DIRECT_ALIGN);
      }
      return output.clear();
    }

    /**
     * Records that {@code length} bytes at {@code from} in the output go to {@code position}, extending a recent write
     * that ends just there in both: a chunk repeated on the disk (a copied file, a cloned VM's blocks) would otherwise
     * turn two long runs into one small write per block, and small O_DIRECT writes are what a restore waits on.
     */
    /** Chunk indexes (low bits) keyed by first block (high bits), sorted: the disk order of a fetch's chunks. */
    private long[] order = new long[64];
    private int[] at = new int[64];

    /**
     * Sorts the chunks by their first block and answers, per chunk in fetch order, where its plaintext starts in the
     * output buffer; {@link #diskOrder} then names the chunks in disk order.
     */
    int[] layOutInDiskOrder(List<ChunkJob> chunks) {
      int n = chunks.size();
      if (n > CHUNK_INDEX_MASK) {
        throw new IllegalStateException("a fetch of " + n + " chunks");
      }
      if (order.length < n) {
        order = new long[Math.max(n, order.length * 2)];
        at = new int[order.length];
      }
      for (int k = 0; k < n; k++) {
        order[k] = chunks.get(k).blocks()[0] << CHUNK_INDEX_BITS | k;
      }
      Arrays.sort(order, 0, n);
      int offset = 0;
      for (int i = 0; i < n; i++) {
        int k = diskOrder(i);
        at[k] = offset;
        offset += chunks.get(k).entry().rawLength();
      }
      return at;
    }

    /** Output bytes {@link #layOutRepeats} laid out: the chunks, then the copies of repeated ones. */
    int outputBytes;
    private int[] repeatAt = new int[64];
    private int[] copies = new int[64];
    /** Output bytes of one fetch given to copies of repeated chunks: a write of up to this per run of one chunk. */
    static final int REPEAT_BYTES = 1 << 20;

    /**
     * Places copies of each chunk that the disk holds on consecutive blocks after the chunks laid out for
     * {@code rawBytes}, as many as its longest such run (at most {@link #REPEAT_BYTES} for all): a run of the chunk is
     * then written from them in pieces instead of a write per block. Answers, per chunk, where its copies start;
     * {@link #copies} says how many.
     */
    int[] layOutRepeats(List<ChunkJob> chunks, int rawBytes) {
      int n = chunks.size();
      if (repeatAt.length < n) {
        repeatAt = new int[Math.max(n, repeatAt.length * 2)];
        copies = new int[repeatAt.length];
      }
      int offset = (rawBytes + DIRECT_ALIGN - 1) / DIRECT_ALIGN * DIRECT_ALIGN; // copies aligned for O_DIRECT
      int budget = REPEAT_BYTES;
      for (int k = 0; k < n; k++) {
        long[] blocks = chunks.get(k).blocks();
        int longest = 0; // blocks right after another of the chunk: the copies its longest run needs
        for (int j = 1; j < blocks.length; ) {
          int following = consecutive(blocks, j, blocks[j - 1] + 1);
          longest = Math.max(longest, following);
          j += Math.max(1, following);
        }
        int length = chunks.get(k).entry().rawLength();
        copies[k] = longest == 0 || length <= 0 ? 0 : Math.min(longest, budget / length);
        repeatAt[k] = offset;
        offset += copies[k] * length;
        budget -= copies[k] * length;
      }
      outputBytes = offset;
      return repeatAt;
    }

    /** Copies of chunk {@code k} laid out by {@link #layOutRepeats}. */
    int copies(int k) {
      return copies[k];
    }

    int diskOrder(int i) {
      return (int) (order[i] & CHUNK_INDEX_MASK);
    }

    void addOrExtendWrite(long position, int from, int length) {
      for (int w = writes - 1; w >= Math.max(0, writes - RECENT_WRITES); w--) {
        if (writeAt[w] + writeLength[w] == position && writeFrom[w] + writeLength[w] == from) {
          writeLength[w] += length;
          return;
        }
      }
      addWrite(position, from, length);
    }

    private void addWrite(long position, int from, int length) {
      if (writes == writeAt.length) {
        writeAt = Arrays.copyOf(writeAt, writes * 2);
        writeFrom = Arrays.copyOf(writeFrom, writes * 2);
        writeLength = Arrays.copyOf(writeLength, writes * 2);
      }
      writeAt[writes] = position;
      writeFrom[writes] = from;
      writeLength[writes] = length;
      writes++;
    }
  }

  /** The file or device being written, and how to finish or abandon it. */
  private static final class Target {
    private final Path target;
    private final Path partial;
    private final FileChannel channel;
    /**
     * The same file opened with O_DIRECT, for aligned runs: they go from the slot's buffer to the disk without the
     * kernel's copy into fresh page-cache pages, which cost more than decrypting and checking them on this VM
     * (perf: ~40% of a restore's CPU to disk). Null where the file system refuses O_DIRECT (tmpfs). Used only by
     * the writer thread.
     */
    private FileChannel direct;
    private final boolean device;
    private static final long FLUSH_EVERY = 256L << 20;
    /** Touched only on the restore's event-loop context. */
    private long flushedUpTo;
    private boolean flushing;

    private Target(Path target, Path partial, FileChannel channel, boolean device) {
      this.target = target;
      this.partial = partial;
      this.channel = channel;
      this.device = device;
      this.direct = openDirect(partial == null ? target : partial);
    }

    private static FileChannel openDirect(Path file) {
      try {
        return FileChannel.open(file, Set.of(StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT));
      } catch (IOException | UnsupportedOperationException e) {
        return null;
      }
    }

    static Target open(Path target, long size, boolean overwrite) {
      try {
        FileBlockSource.Kind kind = Files.exists(target) ? FileBlockSource.Kind.of(target) : null;
        if (kind == FileBlockSource.Kind.BLOCK_DEVICE) {
          // A block device: written in place, and checked for room.
          FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE, StandardOpenOption.READ);
          FileBlockSource probe = FileBlockSource.open(target);
          long room = probe.size();
          probe.close();
          if (room < size) {
            ch.close();
            throw new VaultException("cannot restore to " + target + ": the device holds " + room + " bytes, the disk needs " + size);
          }
          return new Target(target, null, ch, true);
        }
        if (kind != null && kind != FileBlockSource.Kind.FILE) {
          throw new VaultException("cannot restore to " + target + ": it is a " + kind.description + ", not a file or block device");
        }
        if (kind != null && !overwrite) {
          throw new VaultException("cannot restore to " + target + ": it exists (use --force to replace it)");
        }
        Path partial = target.resolveSibling(target.getFileName() + PARTIAL_SUFFIX);
        FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
        if (size > 0) {
          // Extending the file leaves holes: zero blocks cost nothing.
          ch.write(ByteBuffer.allocate(1), size - 1);
        }
        return new Target(target, partial, ch, false);
      } catch (NoSuchFileException e) {
        throw new VaultException("cannot restore to " + target + ": directory " + target.toAbsolutePath().getParent() + " does not exist");
      } catch (AccessDeniedException e) {
        throw new VaultException("cannot restore to " + target + ": permission denied");
      } catch (IOException e) {
        throw new VaultException("cannot restore to " + target + ": " + e.getMessage());
      }
    }

    /**
     * Starts writing back what is dirty every {@link #FLUSH_EVERY} bytes, one flush at a time on an I/O worker, so
     * the disk works while chunks are still being decoded and the final fsync has little left to do.
     */
    void flushInBackground(Repository repo, long writtenSoFar) {
      if (writtenSoFar - flushedUpTo < FLUSH_EVERY || flushing) {
        return;
      }
      flushing = true;
      flushedUpTo = writtenSoFar;
      repo.vertx().executeBlocking(() -> {
        channel.force(false);
        return null;
      }, false).onComplete(ar -> flushing = false);
    }

    /**
     * Writes what a fetch gathered, one positional write per run of adjacent blocks, with O_DIRECT when the run is
     * aligned (all but a disk's last partial block at the usual block sizes); answers the bytes written.
     */
    long write(Slot slot) {
      try {
        return writeRuns(slot);
      } catch (IOException e) {
        throw cannotWrite(e);
      }
    }

    private long writeRuns(Slot slot) throws IOException {
      ByteBuffer all = slot.output;
      long written = 0;
      for (int i = 0; i < slot.writes; i++) {
        int from = slot.writeFrom[i];
        int length = slot.writeLength[i];
        long at = slot.writeAt[i];
        ByteBuffer run = all.duplicate().limit(from + length).position(from);
        if (direct != null && ((at | from | length) & (DIRECT_ALIGN - 1)) == 0) {
          try {
            while (run.hasRemaining()) {
              direct.write(run, at + run.position() - from);
            }
          } catch (IOException e) {
            // A file system that opens with O_DIRECT but refuses the write: buffered from here on.
            direct.close();
            direct = null;
            run.position(from);
            write(run, at);
          }
        } else {
          write(run, at);
        }
        written += length;
      }
      return written;
    }

    private void write(ByteBuffer data, long position) throws IOException {
      long at = position - data.position();
      while (data.hasRemaining()) {
        channel.write(data, at + data.position());
      }
    }

    /** Zeros written to a device per write. */
    private static final int ZEROS = 1 << 20;

    /**
     * A device keeps whatever it held where the disk had zeros and where chunks were damaged: write zeros there. A new
     * file already reads zeros in both.
     */
    long zeroFill(DiskBlocks disk, List<RestoreResult.DamagedRange> damaged) {
      if (!device) {
        return 0;
      }
      ByteBuffer zeros = ByteBuffer.allocateDirect(ZEROS);
      long[] written = {0};
      try {
        forEachSparseRange(disk, (start, end) -> written[0] += writeZeros(zeros, start, end));
        for (RestoreResult.DamagedRange r : damaged) {
          written[0] += writeZeros(zeros, r.offset(), r.offset() + r.length());
        }
      } catch (IOException e) {
        throw cannotWrite(e);
      }
      return written[0];
    }

    /** Writes zeros over {@code [start, end)} from {@code zeros}, a direct buffer of {@link #ZEROS} bytes. */
    private long writeZeros(ByteBuffer zeros, long start, long end) throws IOException {
      for (long at = start; at < end; at += ZEROS) {
        write(zeros.clear().limit((int) Math.min(ZEROS, end - at)), at);
      }
      return end - start;
    }

    void commit() {
      try {
        channel.force(true);
        if (direct != null) {
          direct.close();
        }
        channel.close();
        if (!device) {
          Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
      } catch (IOException e) {
        throw cannotWrite(e);
      }
    }

    /** A write, sync or rename of the target that failed (a full disk, an I/O error), as one line naming the target. */
    private VaultException cannotWrite(IOException e) {
      String why = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
      return new VaultException("cannot restore to " + target + ": " + why);
    }

    void abandon() {
      try {
        if (direct != null) {
          direct.close();
        }
        channel.close();
        if (!device) {
          Files.deleteIfExists(partial);
        }
      } catch (IOException ignored) {
        // The restore already failed; its error is the one to report.
      }
    }
  }
}
