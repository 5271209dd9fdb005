package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.cold.ColdReads;
import dev.vaultgate.vault.crypto.TamperedDataException;
import dev.vaultgate.vault.format.ChunkBlob;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import io.vertx.core.Future;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Restores one disk of a recovery point to a file or block device.
 *
 * <p>Chunks are grouped by pack and fetched with ranged GETs of neighbouring chunks, several at once;
 * each chunk is authenticated (GCM tag) and checked against its id before its bytes are written, once
 * for every block that holds it. Zero blocks are holes in a file. A file target is written under a
 * temporary name and renamed only when complete and synced, so a failed restore never leaves a file
 * that looks whole.
 */
public final class RestoreJob {
  /** Neighbouring chunks closer than this are fetched in one ranged GET. */
  private static final int MAX_GAP = 1 << 20;
  private static final int MAX_RANGE = 8 << 20;
  private static final int FETCH_PARALLELISM = 6;
  /** Blocks restored per window: 1 GiB at 64 KiB blocks. */
  private static final int WINDOW_BLOCKS = 16384;
  private static final String PARTIAL_SUFFIX = ".vaultgate-partial";

  /** @param windowBlocks non-sparse blocks planned and restored at a time (bounds the plan's memory) */
  public record Options(String diskName, boolean overwrite, Progress progress, int windowBlocks) {
    public static Options defaults() {
      return new Options(null, false, Progress.NONE, WINDOW_BLOCKS);
    }

    public Options withOverwrite(boolean o) {
      return new Options(diskName, o, progress, windowBlocks);
    }

    public Options withProgress(Progress p) {
      return new Options(diskName, overwrite, p, windowBlocks);
    }

    public Options withDisk(String name) {
      return new Options(name, overwrite, progress, windowBlocks);
    }

    public Options withWindowBlocks(int n) {
      return new Options(diskName, overwrite, progress, n);
    }
  }

  /** One chunk to fetch and the blocks to write it to. */
  private record ChunkJob(IndexEntry entry, long[] blocks) {
  }

  /** One ranged read of a pack and the chunks in it. */
  private record Fetch(String packId, long start, int length, List<ChunkJob> chunks) {
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
    AtomicLong fetched = new AtomicLong();
    AtomicLong written = new AtomicLong();
    AtomicLong chunks = new AtomicLong();
    List<Integer> windows = new ArrayList<>();
    int window = options.windowBlocks();
    for (int from = 0; from < disk.entryCount(); from += window) {
      windows.add(from);
    }
    // Packs in an archive class (DEEP_ARCHIVE...) are restored first, all at once; other classes read directly.
    return ColdReads.thaw(repo, manifest).compose(thawed -> repo.onCpu(() -> Target.open(target, disk.size(), options.overwrite()))).compose(out ->
        // One window of the disk at a time: the plan's memory is bounded, and each window still reads packs in parallel.
        Bounded.forEach(windows, 1, from -> repo.onCpu(() -> plan(repo, manifest, disk, from,
                Math.min(disk.entryCount(), from + window)))
            .compose(fetches -> Bounded.forEach(fetches, FETCH_PARALLELISM, f -> repo.storage()
                .getRange(ObjectKeys.pack(f.packId()), f.start(), f.length())
                .compose(bytes -> repo.onCpu(() -> {
                  written.addAndGet(writeChunks(repo, out, disk, f, bytes));
                  chunks.addAndGet(f.chunks().size());
                  return fetched.addAndGet(bytes.length);
                }))
                .onSuccess(n -> {
                  options.progress().update(written.get(), (long) disk.entryCount() * disk.blockSize());
                  out.flushInBackground(repo, written.get());
                }))))
            .compose(v -> repo.onCpu(() -> {
              written.addAndGet(out.zeroFillSparse(disk));
              out.commit();
              options.progress().update(written.get(), written.get());
              return new RestoreResult(manifest.id(), target.toString(), disk.size(), fetched.get(), written.get(),
                  chunks.get(), (System.nanoTime() - startNanos) / 1e9);
            }))
            .recover(e -> repo.onCpu(() -> {
              out.abandon();
              return null;
            }).transform(ignored -> Future.<RestoreResult>failedFuture(e))));
  }

  /** The ranged reads that restore entries {@code [from, to)} of the disk. */
  private static List<Fetch> plan(Repository repo, Manifest manifest, DiskBlocks disk, int from, int to) {
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
    Map<String, List<ChunkJob>> byPack = new HashMap<>();
    for (byte[] id : order) {
      IndexEntry e = repo.index().get(id);
      if (e == null) {
        throw new VaultException("cannot restore recovery point " + manifest.id() + " from " + repo.name() + ": chunk "
            + java.util.HexFormat.of().formatHex(id, 0, 8) + "... is in no index segment (run 'vaultgate vault check')");
      }
      long[] blocks = blocksByChunk.get(ByteBuffer.wrap(id)).stream().mapToLong(Long::longValue).toArray();
      byPack.computeIfAbsent(e.packId(), k -> new ArrayList<>()).add(new ChunkJob(e, blocks));
    }
    List<Fetch> fetches = new ArrayList<>();
    for (Map.Entry<String, List<ChunkJob>> p : byPack.entrySet()) {
      List<ChunkJob> chunks = p.getValue();
      chunks.sort(Comparator.comparingInt(c -> c.entry().offset()));
      List<ChunkJob> run = new ArrayList<>();
      long start = -1;
      long end = -1;
      for (ChunkJob c : chunks) {
        long cs = c.entry().offset();
        long ce = cs + c.entry().length();
        if (!run.isEmpty() && (cs - end > MAX_GAP || ce - start > MAX_RANGE)) {
          fetches.add(new Fetch(p.getKey(), start, (int) (end - start), run));
          run = new ArrayList<>();
        }
        if (run.isEmpty()) {
          start = cs;
        }
        run.add(c);
        end = Math.max(end, ce);
      }
      if (!run.isEmpty()) {
        fetches.add(new Fetch(p.getKey(), start, (int) (end - start), run));
      }
    }
    // Read the disk roughly front to back: friendlier to the target's write-back.
    fetches.sort(Comparator.comparingLong(f -> f.chunks().get(0).blocks()[0]));
    return fetches;
  }

  private static long writeChunks(Repository repo, Target out, DiskBlocks disk, Fetch f, byte[] bytes) throws IOException {
    if (bytes.length != f.length()) {
      throw new VaultException("cannot restore from " + repo.name() + ": read " + bytes.length + " of " + f.length()
          + " bytes at offset " + f.start() + " of pack " + ObjectKeys.pack(f.packId()) + " (truncated pack?)");
    }
    long written = 0;
    for (ChunkJob c : f.chunks()) {
      int off = (int) (c.entry().offset() - f.start());
      byte[] plain;
      try {
        plain = ChunkBlob.open(repo.keys(), c.entry(), bytes, off);
      } catch (TamperedDataException e) {
        throw new VaultException("cannot restore from " + repo.name() + ": chunk at offset " + c.entry().offset() + " of pack "
            + ObjectKeys.pack(f.packId()) + " is damaged (" + e.getMessage() + ")");
      }
      for (long block : c.blocks()) {
        int len = disk.lengthOf(block);
        if (len != plain.length) {
          throw new VaultException("cannot restore: block " + block + " is " + len + " bytes but its chunk holds " + plain.length);
        }
        out.write(plain, block * disk.blockSize());
        written += len;
      }
    }
    return written;
  }

  /** The file or device being written, and how to finish or abandon it. */
  private static final class Target {
    private final Path target;
    private final Path partial;
    private final FileChannel channel;
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
    }

    static Target open(Path target, long size, boolean overwrite) {
      try {
        boolean exists = Files.exists(target);
        if (exists && !Files.isRegularFile(target) && !Files.isDirectory(target)) {
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
        if (Files.isDirectory(target)) {
          throw new VaultException("cannot restore to " + target + ": it is a directory");
        }
        if (exists && !overwrite) {
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

    void write(byte[] data, long position) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        channel.write(b, position + b.position());
      }
    }

    /** A device keeps whatever it held where the disk had zeros: write them. A new file already reads zeros there. */
    long zeroFillSparse(DiskBlocks disk) throws IOException {
      if (!device) {
        return 0;
      }
      byte[] zeros = new byte[disk.blockSize()];
      long written = 0;
      for (long block = 0; block < disk.blockCount(); block++) {
        if (disk.find(block) < 0) {
          int len = disk.lengthOf(block);
          write(len == zeros.length ? zeros : new byte[len], block * disk.blockSize());
          written += len;
        }
      }
      return written;
    }

    void commit() throws IOException {
      channel.force(true);
      channel.close();
      if (!device) {
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
    }

    void abandon() {
      try {
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
