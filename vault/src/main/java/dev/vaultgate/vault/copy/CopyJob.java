package dev.vaultgate.vault.copy;

import dev.vaultgate.vault.backup.Progress;
import dev.vaultgate.vault.crypto.TamperedDataException;
import dev.vaultgate.vault.cold.ColdReads;
import dev.vaultgate.vault.format.BlockFingerprint;
import dev.vaultgate.vault.format.ChunkBlob;
import dev.vaultgate.vault.format.ChunkEncoding;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.ChunkClaims;
import dev.vaultgate.vault.repo.IndexRepair;
import dev.vaultgate.vault.repo.PackAssembler;
import dev.vaultgate.vault.repo.PackRanges;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.SealedPack;
import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.repo.VaultLock;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.Retention;
import io.vertx.core.Future;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * Copies one recovery point from a source vault to a destination vault.
 *
 * <p>Chunk ids are keyed hashes under each vault's own HMAC key, so the destination's ids can only be known from
 * the plaintext: every distinct chunk of the point is read from the source (ranged GETs of neighbouring chunks),
 * authenticated and decrypted with the source's keys, named and fingerprinted under the destination's keys, and
 * only if the destination lacks it, compressed, sealed and packed under the destination's keys. The
 * destination's manifest is written last, after the packs and index segments it needs, with the destination's
 * lock retention: an interrupted copy leaves a valid destination whose stored packs are indexed, and the next
 * run writes only what is still missing (it reads the source again: the id mapping is not kept). The copy
 * keeps the source point's id (ids are random, so they do not collide across vaults), which makes a rerun of
 * a finished copy a no-op.
 */
public final class CopyJob {
  /** Non-sparse blocks planned at a time: bounds the source-to-destination id map of one window. */
  private static final int WINDOW_BLOCKS = 16384;
  /** Neighbouring chunks closer than 1 MiB are fetched in one ranged GET of at most 8 MiB (and 32 MiB of plaintext). */
  private static final PackRanges.Limits READS = new PackRanges.Limits(1 << 20, 8 << 20, 32 << 20);
  private static final int FETCH_PARALLELISM = 4;

  /**
   * @param destinationPointId the id of the copy in the destination (null: the source point's id)
   * @param retainUntil        in a locked destination, how long the copy is retained (null: its lock's minimum)
   * @param metadata           the copy's metadata from the source point's (the gateway relabels it with the copy's ARN)
   */
  public record Options(String destinationPointId, Instant retainUntil, Progress progress, int windowBlocks,
                        UnaryOperator<String> metadata) {
    public static Options defaults() {
      return new Options(null, null, Progress.NONE, WINDOW_BLOCKS, UnaryOperator.identity());
    }

    public Options withDestinationPointId(String id) {
      return new Options(id, retainUntil, progress, windowBlocks, metadata);
    }

    public Options withRetainUntil(Instant until) {
      return new Options(destinationPointId, until, progress, windowBlocks, metadata);
    }

    public Options withProgress(Progress p) {
      return new Options(destinationPointId, retainUntil, p, windowBlocks, metadata);
    }

    public Options withWindowBlocks(int n) {
      return new Options(destinationPointId, retainUntil, progress, n, metadata);
    }

    public Options withMetadata(UnaryOperator<String> rewrite) {
      return new Options(destinationPointId, retainUntil, progress, windowBlocks, rewrite);
    }
  }

  /** A destination chunk id and fingerprint for a source chunk. */
  private record Mapped(byte[] id, byte[] fingerprint) {
  }

  /** One ranged read of a source pack and the chunks in it. */
  private record Fetch(String packId, long start, int length, List<IndexEntry> chunks) {
  }

  private final Repository source;
  private final Repository destination;
  private final Options options;
  private final Retention retention;
  private final BlockFingerprint fingerprint;
  private final PackAssembler assembler;
  /** Destination chunk ids sealed into a pack that is not stored yet: not packed twice. */
  private final ChunkClaims claims;
  private final AtomicLong chunksRead = new AtomicLong();
  private final AtomicLong chunksCopied = new AtomicLong();
  private final AtomicLong bytesRead = new AtomicLong();
  private final AtomicLong bytesWritten = new AtomicLong();
  /** Bytes of non-sparse blocks whose chunks are copied: the progress shown. */
  private final AtomicLong bytesDone = new AtomicLong();
  private final long startNanos = System.nanoTime();

  private CopyJob(Repository source, Repository destination, Options options, Retention retention) {
    this.source = source;
    this.destination = destination;
    this.options = options;
    this.retention = retention;
    this.fingerprint = new BlockFingerprint(destination.keys().fingerprintSeed());
    this.assembler = destination.newPackAssembler();
    this.claims = new ChunkClaims(destination.index());
  }

  /** Copies point {@code pointId} of {@code source} into {@code destination}. */
  public static Future<CopyResult> run(Repository source, Repository destination, String pointId, Options options) {
    if (source.config().vaultId().equals(destination.config().vaultId())) {
      return Future.failedFuture(new VaultException("cannot copy recovery point " + pointId + " from " + source.name()
          + " to " + destination.name() + ": both are the same vault"));
    }
    Retention retention;
    try {
      retention = destination.retentionFor(options.retainUntil()); // a retention the lock refuses fails before any write
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    String destinationId = options.destinationPointId() == null ? pointId : options.destinationPointId();
    if (!ObjectKeys.isId(destinationId)) {
      return Future.failedFuture(new VaultException("not a recovery point id: '" + destinationId + "' (expected 32 hex digits)"));
    }
    // Shared locks: gc of either vault (exclusive) waits, so no chunk this copy reads or reuses is deleted meanwhile.
    // Under them both indexes are read, or brought up to date (Repository.refreshIndex): a gc may have run since either
    // opened. The destination's orphan packs (a copy or backup that died before naming them) are adopted, as a backup
    // does, so a rerun of a copy that died does not write them again.
    return VaultLock.shared(source, "copy of " + pointId + " to " + destination.name()).compose(sourceLock ->
        VaultLock.shared(destination, "copy of " + pointId + " from " + source.name()).compose(destinationLock ->
            Future.all(source.refreshIndex(), destination.refreshIndex().compose(v -> IndexRepair.repair(destination)),
                    source.loadPoint(pointId))
                .map(all -> all.<Manifest>resultAt(2))
                .compose(manifest -> new CopyJob(source, destination, options, retention).copy(manifest, destinationId))
                .eventually(destinationLock::release))
            .eventually(sourceLock::release));
  }

  private Future<CopyResult> copy(Manifest manifest, String destinationId) {
    long size = manifest.disks().stream().mapToLong(DiskBlocks::size).sum();
    return destination.storage().stat(ObjectKeys.point(destinationId)).transform(ar -> {
      if (ar.succeeded()) {
        return Future.succeededFuture(result(manifest, destinationId, true, size));
      }
      if (!(ar.cause() instanceof ObjectNotFoundException)) {
        return Future.failedFuture(ar.cause());
      }
      long totalBytes = manifest.disks().stream().mapToLong(d -> (long) d.entryCount() * d.blockSize()).sum();
      List<DiskBlocks> disks = new ArrayList<>();
      // Source packs in an archive class (DEEP_ARCHIVE...) are restored first, all at once.
      Future<Void> chain = ColdReads.thaw(source, manifest).mapEmpty();
      for (DiskBlocks disk : manifest.disks()) {
        chain = chain.compose(v -> copyDisk(manifest, disk, totalBytes).map(d -> {
          disks.add(d);
          return null;
        }));
      }
      return chain
          .compose(v -> destination.onCpu(assembler::flush))
          .compose(last -> last == null ? Future.succeededFuture() : store(last))
          .map(v -> new Manifest(destinationId, manifest.createdAtMillis(), null,
              options.metadata().apply(manifest.metadataJson()), List.copyOf(disks)))
          .compose(copy -> destination.retainReferenced(copy, retention) // reused packs retained before the manifest exists
              .compose(extended -> destination.storePoint(copy, retention)))
          .map(v -> {
            options.progress().update(totalBytes, totalBytes);
            return result(manifest, destinationId, false, size);
          });
    });
  }

  private CopyResult result(Manifest manifest, String destinationId, boolean alreadyCopied, long size) {
    return new CopyResult(manifest.id(), destinationId, alreadyCopied, size, chunksRead.get(), chunksCopied.get(),
        bytesRead.get(), bytesWritten.get(), (System.nanoTime() - startNanos) / 1e9);
  }

  /** The destination's block table of one disk, its chunks copied window by window. */
  private Future<DiskBlocks> copyDisk(Manifest manifest, DiskBlocks disk, long totalBytes) {
    DiskBlocks.Builder blocks = DiskBlocks.builder(disk.name(), disk.size(), disk.blockSize());
    List<Integer> windows = new ArrayList<>();
    for (int from = 0; from < disk.entryCount(); from += options.windowBlocks()) {
      windows.add(from);
    }
    return Bounded.forEach(windows, 1, from -> {
      int to = (int) Math.min(disk.entryCount(), (long) from + options.windowBlocks());
      Map<ByteBuffer, Mapped> mapped = new ConcurrentHashMap<>();
      return destination.onCpu(() -> plan(manifest, disk, from, to))
          .compose(fetches -> Bounded.forEach(fetches, FETCH_PARALLELISM, f -> source.storage()
              .getRange(ObjectKeys.pack(f.packId()), f.start(), f.length())
              .compose(bytes -> destination.onCpu(() -> reseal(f, bytes, mapped)))
              .compose(full -> Future.all(full.stream().map(this::store).toList()))))
          .compose(v -> destination.onCpu(() -> {
            for (int i = from; i < to; i++) {
              Mapped m = mapped.get(ByteBuffer.wrap(disk.chunkIdAt(i)));
              blocks.add(disk.blockAt(i), m.id(), 0, m.fingerprint(), 0);
            }
            return null;
          }))
          .onSuccess(v -> options.progress().update(bytesDone.addAndGet((long) (to - from) * disk.blockSize()), totalBytes));
    }).compose(v -> destination.onCpu(blocks::build));
  }

  private Future<Void> store(SealedPack pack) {
    return destination.storePack(pack, retention).onComplete(ar -> pack.release()).map(v -> {
      bytesWritten.addAndGet(pack.length());
      claims.release(pack.entries());
      return null;
    });
  }

  /** The ranged reads of the source's packs that hold the distinct chunks of entries {@code [from, to)}. */
  private List<Fetch> plan(Manifest manifest, DiskBlocks disk, int from, int to) {
    Map<ByteBuffer, IndexEntry> distinct = new LinkedHashMap<>();
    for (int i = from; i < to; i++) {
      byte[] id = disk.chunkIdAt(i);
      ByteBuffer key = ByteBuffer.wrap(id);
      if (!distinct.containsKey(key)) {
        IndexEntry e = source.index().get(id);
        if (e == null) {
          throw new VaultException("cannot copy recovery point " + manifest.id() + " from " + source.name() + ": chunk "
              + HexFormat.of().formatHex(id, 0, 8) + "... is in no index segment (run 'vaultgate vault check')");
        }
        distinct.put(key, e);
      }
    }
    return PackRanges.plan(distinct.values(), e -> e, READS).stream()
        .map(r -> new Fetch(r.packId(), r.start(), r.length(), r.items()))
        .toList();
  }

  /**
   * Opens each chunk of a fetched range with the source's keys, names it under the destination's, and seals the
   * ones the destination lacks into the destination's pack; answers the packs that filled up.
   */
  private List<SealedPack> reseal(Fetch f, byte[] bytes, Map<ByteBuffer, Mapped> mapped) {
    if (bytes.length != f.length()) {
      throw new VaultException("cannot copy from " + source.name() + ": read " + bytes.length + " of " + f.length()
          + " bytes at offset " + f.start() + " of pack " + ObjectKeys.pack(f.packId()) + " (truncated pack?)");
    }
    bytesRead.addAndGet(bytes.length);
    List<SealedPack> full = new ArrayList<>(1);
    for (IndexEntry c : f.chunks()) {
      int off = (int) (c.offset() - f.start());
      byte[] plain;
      try {
        plain = ChunkBlob.open(source.keys(), c, bytes, off);
      } catch (TamperedDataException e) {
        throw new VaultException("cannot copy from " + source.name() + ": chunk at offset " + c.offset() + " of pack "
            + ObjectKeys.pack(f.packId()) + " is damaged (" + e.getMessage() + ")");
      }
      chunksRead.incrementAndGet();
      byte[] id = destination.keys().chunkId(plain, 0, plain.length);
      mapped.put(ByteBuffer.wrap(c.chunkId()), new Mapped(id, fingerprint.fingerprint(plain, 0, plain.length)));
      if (!claims.claim(id)) {
        continue; // the destination has it, or this copy packed it already
      }
      ChunkEncoding.Encoded encoded = ChunkEncoding.encode(plain, 0, plain.length);
      chunksCopied.incrementAndGet();
      SealedPack pack = assembler.seal(id, encoded, plain.length);
      if (pack != null) {
        full.add(pack);
      }
    }
    return full;
  }
}
