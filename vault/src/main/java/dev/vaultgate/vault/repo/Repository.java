package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.crypto.CryptoWarmup;
import dev.vaultgate.vault.crypto.KeyWrapper;
import dev.vaultgate.vault.crypto.TamperedDataException;
import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.format.ChunkBlob;
import dev.vaultgate.vault.format.CorruptObjectException;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.IndexSegmentCodec;
import dev.vaultgate.vault.format.LossRecord;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ManifestCodec;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PointHeader;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.spill.TempFiles;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectLockState;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An open vault: its storage, keys, settings and chunk index, and the operations on packs, index segments
 * and recovery points. CPU work (sealing, decoding) runs on the shared "vault-cpu" worker executor, one
 * thread per core; the index segment of a stored pack is encoded on "vault-index" (one thread), so that it is not
 * queued behind a backup's units, which may wait on a slow source while they hold every "vault-cpu" thread.
 */
public final class Repository implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Repository.class);
  /** Requests in flight at once: manifests, key objects, retention extensions (index segments: {@link #SEGMENT_FETCHES}). */
  private static final int FETCH_PARALLELISM = 8;
  /**
   * Index segments fetched at once: 8 hide a store's latency behind each other, but a merged segment is ~3 MB sealed
   * and as much opened, so a small heap fetches fewer (2 in 64 MiB, 8 from 256 MiB).
   */
  public static final int SEGMENT_FETCHES =
      (int) Math.max(2, Math.min(FETCH_PARALLELISM, Runtime.getRuntime().maxMemory() / (32L << 20)));
  /** Entries added to the index under one lock while a segment is decoded. */
  private static final int ADD_BATCH = 1024;
  /** A manifest of at most this many bytes is sealed and opened in memory; a larger one goes through a file. */
  static final long MANIFEST_IN_MEMORY = 4L << 20;
  /** The range a large manifest is fetched in. */
  private static final int MANIFEST_WINDOW = 4 << 20;
  /**
   * Entries per index segment, as stored packs are named (and as gc merges them): ~3 MB sealed, each fetched whole when
   * the vault opens; a 4 GiB disk of 64 KiB blocks makes about one.
   */
  public static final int SEGMENT_ENTRIES = 65_536;
  /** Reading the index again from a fresh listing, when a listed segment was gone: at most this many times. */
  private static final int INDEX_READS = 3;

  private final Vertx vertx;
  private final VaultStorage storage;
  private final VaultConfig config;
  private final VaultKeys keys;
  /** Replaced (never changed in place) when {@link #refreshIndex} finds that a gc removed segments. */
  private volatile ChunkIndex index = new ChunkIndex();
  /** Indexes {@link #refreshIndex} replaced; closed with the repository, since a job that started before may read one. */
  private final List<ChunkIndex> retiredIndexes = Collections.synchronizedList(new ArrayList<>());
  /** The last refresh: refreshes run one after the other. */
  private Future<Void> refreshing = Future.succeededFuture();
  private final WorkerExecutor cpu;
  private final WorkerExecutor indexWork;
  /** In the order read or written; a set, so that a segment recorded twice (a refresh meets one this process wrote) counts once. */
  private final Set<String> indexSegments = Collections.synchronizedSet(new LinkedHashSet<>());
  private final java.util.concurrent.atomic.AtomicBoolean warmedUp = new java.util.concurrent.atomic.AtomicBoolean();
  /** The last listing of {@code index/}: which segments count, which are superseded (gc of a locked vault). */
  private volatile IndexListing indexListing = IndexListing.EMPTY;
  /** Which packs each segment names: gc of a locked vault deletes or supersedes each segment naming a pack it deletes. */
  private final Map<String, Set<String>> packsBySegment = new ConcurrentHashMap<>();
  /** Packs stored whose chunks are in the index but in no stored segment yet ({@link #storePack}). */
  private final PendingPacks pending = new PendingPacks();
  /** The last write of pending packs' index segments: they run one after the other (guarded by this). */
  private Future<Void> indexWrites = Future.succeededFuture();
  /** Entries per index segment that {@link #storePack} writes. */
  private volatile int segmentEntries = SEGMENT_ENTRIES;
  /**
   * Set when pending packs were forgotten ({@link #settleIndex}): their chunks are still in the index, so the next
   * refresh reads it again from the listing.
   */
  private volatile boolean rereadIndex;
  /**
   * Retain-until dates this process wrote or set, by object key: a pack that many points of one run reuse is
   * extended once, and one written by this backup not at all.
   */
  private final Map<String, Retention> knownRetention = new ConcurrentHashMap<>();
  /**
   * False while a repository opened by {@link #openWithoutIndex} has not read the index: everything that needs it
   * refuses (an empty index would make a backup store everything again and gc think nothing is referenced).
   */
  private volatile boolean indexLoaded;
  /** Data-key generations: the config's first, then each {@code keys/<id>} by age. */
  private final List<KeyGeneration> generations = new java.util.concurrent.CopyOnWriteArrayList<>();

  private Repository(Vertx vertx, VaultStorage storage, VaultConfig config, VaultKeys keys, KeyGeneration original,
      WorkerExecutor cpu, boolean indexLoaded) {
    this.vertx = vertx;
    this.indexLoaded = indexLoaded;
    this.storage = storage;
    this.config = config;
    this.keys = keys;
    this.cpu = cpu;
    this.indexWork = vertx.createSharedWorkerExecutor("vault-index", 1);
    generations.add(original);
  }

  public static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  private static WorkerExecutor cpuExecutor(Vertx vertx) {
    return vertx.createSharedWorkerExecutor("vault-cpu", cores());
  }

  /**
   * Creates a vault in empty storage. Fails when a vault is already there, and, for a locked vault, when the
   * storage has no Object Lock (checked before anything is written). A locked vault's config, which holds the
   * wrapped keys every point needs, is retained like a point; each backup extends it.
   */
  public static Future<Repository> init(Vertx vertx, VaultStorage storage, KeyWrapper wrapper, VaultSettings settings) {
    WorkerExecutor cpu = cpuExecutor(vertx);
    Future<Void> lockable = !settings.locked() ? Future.succeededFuture() : storage.objectLockEnabled().compose(enabled ->
        enabled ? Future.succeededFuture() : Future.failedFuture(new VaultException("cannot init a " + settings.lock().mode()
            + "-locked vault in " + storage.describe() + ": " + (storage.describe().startsWith("s3://")
            ? "the bucket does not have Object Lock enabled (GetObjectLockConfiguration found none; Object Lock can only be"
                + " enabled when a bucket is created: create-bucket --object-lock-enabled-for-bucket)"
            : "only an S3 bucket with Object Lock enabled can hold a locked vault"))));
    return lockable.compose(ok -> storage.stat(ObjectKeys.CONFIG))
        .<Void>transform(ar -> {
          if (ar.succeeded()) {
            return Future.failedFuture(new VaultException("cannot init vault " + storage.describe() + ": a vault already exists there"));
          }
          return ar.cause() instanceof ObjectNotFoundException ? Future.succeededFuture() : Future.failedFuture(ar.cause());
        })
        .compose(v -> cpu.executeBlocking(() -> {
          KeyWrapper.Generated material = wrapper.generate(VaultKeys.MATERIAL_BYTES);
          VaultKeys keys = VaultKeys.fromMaterial(material.material());
          VaultConfig config = new VaultConfig(ObjectIds.newId(), System.currentTimeMillis(), settings);
          return new Repository(vertx, storage, config, keys,
              new KeyGeneration(null, config.createdAtMillis(), wrapper.scheme(), wrapper.keyId()), cpu, true) // nothing to read
              .withConfigBytes(config.encode(keys, material.wrapped(), wrapper.scheme(), wrapper.keyId()));
        }, false))
        .compose(pair -> {
          Retention retention = settings.locked()
              ? settings.lock().retentionFor(null, Instant.now(), storage.describe()) : null;
          return storage.put(ObjectKeys.CONFIG, pair.bytes, stillAhead(retention), false).map(pair.repository);
        })
        .onFailure(e -> cpu.close());
  }

  private record WithBytes(Repository repository, byte[] bytes) {
  }

  private WithBytes withConfigBytes(byte[] bytes) {
    return new WithBytes(this, bytes);
  }

  /**
   * Opens the vault: reads its config, unwraps its keys with {@code wrapper}, then every data-key generation
   * ({@code keys/}: each must pass its MAC under the vault's key, or the vault does not open), and loads its index.
   */
  public static Future<Repository> open(Vertx vertx, VaultStorage storage, KeyWrapper wrapper) {
    return openWithoutIndex(vertx, storage, wrapper).compose(repo -> repo.refreshIndex().transform(ar -> {
      if (ar.failed()) {
        repo.close();
        return Future.failedFuture(ar.cause());
      }
      return Future.succeededFuture(repo);
    }));
  }

  /**
   * Opens the vault as {@link #open} does but does not read its index: for what needs only the config, the keys and
   * the manifests (listing points and key generations), which then costs no GET per index segment, and for a job that
   * reads the index itself under its vault lock ({@link #refreshIndex}), so that it is listed once. Until then,
   * everything that needs the index fails with an {@link IllegalStateException} naming the operation.
   */
  public static Future<Repository> openWithoutIndex(Vertx vertx, VaultStorage storage, KeyWrapper wrapper) {
    WorkerExecutor cpu = cpuExecutor(vertx);
    return storage.get(ObjectKeys.CONFIG)
        .recover(e -> Future.failedFuture(e instanceof ObjectNotFoundException
            ? new VaultException("no vault at " + storage.describe() + ": it has no config object (create one with 'vaultgate vault init')")
            : e))
        .compose(bytes -> cpu.executeBlocking(() -> VaultConfig.decode(bytes, wrapper, storage.describe()), false))
        .map(opened -> new Repository(vertx, storage, opened.config(), opened.keys(), opened.original(), cpu, false))
        .compose(repo -> repo.loadKeyGenerations(wrapper).map(repo))
        .onSuccess(repo -> Trace.mark("config read, keys unwrapped"))
        .onFailure(e -> cpu.close());
  }

  /** Whether the index has been read: by {@link #open}, or by the first {@link #refreshIndex} after {@link #openWithoutIndex}. */
  public boolean indexLoaded() {
    return indexLoaded;
  }

  private void requireIndex(String operation) {
    if (!indexLoaded) {
      throw new IllegalStateException("cannot " + operation + " in vault " + storage.describe()
          + ": it was opened without its index");
    }
  }

  private Future<Void> loadKeyGenerations(KeyWrapper wrapper) {
    return storage.list(ObjectKeys.KEYS).compose(objects -> Bounded.forEach(objects, FETCH_PARALLELISM, o -> {
      String id = ObjectKeys.idOf(o.key());
      if (id == null || !o.key().equals(ObjectKeys.key(id))) {
        return Future.succeededFuture(); // no envelope can name it: nothing would ever use it
      }
      return storage.get(o.key())
          .compose(bytes -> onCpu(() -> DataKeyObject.decode(bytes, id, keys, config.vaultId(), wrapper, storage.describe())))
          .map(opened -> {
            keys.addGeneration(id, opened.dataKey());
            generations.add(opened.generation());
            return null;
          });
    })).map(v -> {
      sortGenerations();
      return null;
    });
  }

  private synchronized void sortGenerations() {
    List<KeyGeneration> sorted = new ArrayList<>(generations);
    sorted.sort(java.util.Comparator.comparing((KeyGeneration g) -> g.id() != null).thenComparing(g -> g.id() == null ? "" : g.id()));
    generations.clear();
    generations.addAll(sorted);
  }

  /**
   * Rotates the data key: a new random AES-256 key made and wrapped by {@code wrapper} (KMS: one GenerateDataKey, under
   * the KMS key's newest material), stored as the new object {@code keys/<id>} with a MAC under the vault's key, and
   * used from now on for everything this repository seals (packs, index segments, manifests, locks). Older generations
   * stay: what they sealed keeps opening. {@code config} is never touched (a locked vault's is retained and cannot
   * change); in a locked vault the new object is retained like the config at init, and each point extends it.
   *
   * @throws VaultException when {@code wrapper} is not of the scheme that opened the vault: a generation must open
   *     with the key that opens the config, or the vault would stop opening for whoever opens it today
   */
  public Future<KeyGeneration> rekey(KeyWrapper wrapper) {
    return rekey(wrapper, null);
  }

  /**
   * {@link #rekey(KeyWrapper)} because the KMS key rotated at {@code kmsRotation} (its RotationDate, recorded in the
   * new generation; null: not for a KMS rotation).
   */
  public Future<KeyGeneration> rekey(KeyWrapper wrapper, java.time.Instant kmsRotation) {
    KeyGeneration original = generations.get(0);
    if (!wrapper.scheme().equals(original.scheme())) {
      return Future.failedFuture(new VaultException("cannot rekey vault " + storage.describe() + " with a " + wrapper.scheme()
          + " key: it was opened with its " + original.scheme() + " key (" + original.keyId() + "), which must open every"
          + " data-key generation too"));
    }
    Retention retention = config.settings().locked()
        ? config.settings().lock().retentionFor(null, Instant.now(), storage.describe()) : null;
    return onCpu(() -> {
      KeyWrapper.Generated made = wrapper.generate(VaultKeys.DATA_KEY_BYTES);
      KeyGeneration generation = new KeyGeneration(ObjectIds.newId(), System.currentTimeMillis(), wrapper.scheme(), wrapper.keyId(),
          kmsRotation == null ? null : kmsRotation.toEpochMilli());
      return new NewGeneration(generation, made.material(), DataKeyObject.encode(keys, config.vaultId(), generation, made.wrapped()));
    }).compose(made -> storage.put(made.generation.objectKey(), made.bytes, stillAhead(retention), false).map(v -> {
      keys.addGeneration(made.generation.id(), made.dataKey);
      generations.add(made.generation);
      sortGenerations();
      if (stillAhead(retention) != null) {
        knownRetention.put(made.generation.objectKey(), retention);
      }
      return made.generation;
    }));
  }

  private record NewGeneration(KeyGeneration generation, byte[] dataKey, byte[] bytes) {
  }

  /** The data-key generations, the config's first, then by age; the last one seals. */
  public List<KeyGeneration> keyGenerations() {
    return List.copyOf(generations);
  }

  /** The newest data-key generation, which seals what this repository writes. */
  public KeyGeneration currentKeyGeneration() {
    List<KeyGeneration> all = keyGenerations();
    return all.get(all.size() - 1);
  }

  /** The objects holding the wrapped keys a reader may need: {@code config} and each {@code keys/<id>}. */
  public Set<String> keyObjects() {
    Set<String> out = new TreeSet<>();
    for (KeyGeneration g : generations) {
      out.add(g.objectKey());
    }
    return out;
  }

  /**
   * Keeps a listing of {@code index/} as the last ({@link #indexListing}: gc, records of lost chunks) and answers the
   * segments that count.
   */
  private List<String> recordListing(List<ObjectInfo> objects) {
    IndexListing listing = IndexListing.of(objects);
    indexListing = listing;
    return listing.segments();
  }

  /** What the last listing of {@code index/} (at the open, or the last refresh) said. */
  public IndexListing indexListing() {
    requireIndex("list index segments");
    return indexListing;
  }

  /** Records segments whose entries are in the current index, and the packs each names. */
  private synchronized void recordSegments(Collection<String> segments, Map<String, Set<String>> packs) {
    indexSegments.addAll(segments);
    packsBySegment.putAll(packs);
  }

  /**
   * Reads {@code segments} into {@code into}, and the packs each names into {@code packsOut}. A segment is decoded
   * into the index on a worker in batches, never held as a list of entries (a merged segment has 65,536, ~6 MiB of
   * them), and the event loop never adds to the index. Segments fetched at once: {@link #SEGMENT_FETCHES}.
   */
  private Future<Void> loadSegments(List<String> segments, ChunkIndex into, Map<String, Set<String>> packsOut) {
    return Bounded.forEach(segments, SEGMENT_FETCHES, segment -> storage.get(ObjectKeys.index(segment))
        .compose(bytes -> onCpu(() -> {
          Set<String> packs = new HashSet<>();
          List<IndexEntry> batch = new ArrayList<>(ADD_BATCH);
          IndexSegmentCodec.decode(keys, segment, bytes, e -> {
            packs.add(e.packId());
            batch.add(e);
            if (batch.size() == ADD_BATCH) {
              into.addAll(batch);
              batch.clear();
            }
          });
          into.addAll(batch);
          return packs;
        }))
        .map(packs -> {
          packsOut.put(segment, packs);
          return null;
        }));
  }

  /**
   * Reads the index, or brings the index of a repository kept open across jobs up to date with the vault. Under a vault
   * lock when what follows must not race a gc (a backup right after taking its shared lock, gc after its exclusive one);
   * after reading points when what follows needs their packs (a point's segments are stored before its manifest, so the
   * index then names them all: check, legal holds). The first call reads every listed segment. A later one reads and
   * adds the segments that other processes wrote since. If a segment this repository read is no longer listed, a gc
   * deleted it, and perhaps chunks that no point needed any more with it: the index may name chunks that are gone, and
   * a backup that found one there would name it in its manifest without storing it. Then every listed segment is read
   * again into a new index, which replaces this one (with the segments this process stored meanwhile).
   */
  public Future<Void> refreshIndex() {
    synchronized (this) {
      Future<Void> next = refreshing.transform(ignored -> indexLoaded ? refreshNow() : loadIndex());
      refreshing = next;
      return next;
    }
  }

  /**
   * An index that places the chunks of {@code manifest}, for a restore. A repository whose index is read brings it up
   * to date with the vault (a failed catch-up is no failure: a restore holds no vault lock, and the index stays as it
   * was) and answers it. One opened without its index reads only the segments that the point's reference list names
   * ({@link PointReferences}): restoring one disk of a vault that holds many then reads that disk's share of the index,
   * not all of it. The list is not authenticated, but each segment is, and the answer must place every chunk of the
   * point: a list that is missing (a point written before reference lists) or damaged, that names a segment a gc has
   * since deleted, or that leaves a chunk out, makes it read the whole index instead.
   */
  public Future<PointIndex> indexOfPoint(Manifest manifest) {
    if (indexLoaded) {
      return refreshIndex().otherwiseEmpty().map(v -> new PointIndex(index, false));
    }
    return segmentsOfPoint(manifest).recover(e -> {
      Trace.mark("index of point " + manifest.id() + " not from its reference list (" + e.getMessage() + "): whole index");
      return refreshIndex().map(v -> new PointIndex(index, false));
    });
  }

  /** The index of {@link #indexOfPoint}; {@code own}: read for the point alone, and closed by {@link #close()}. */
  public record PointIndex(ChunkIndex chunks, boolean own) implements AutoCloseable {
    @Override
    public void close() {
      if (own) {
        chunks.close();
      }
    }
  }

  private Future<PointIndex> segmentsOfPoint(Manifest manifest) {
    return storage.get(ObjectKeys.refs(manifest.id())).compose(bytes -> {
      List<String> segments = List.copyOf(PointReferences.decode(manifest.id(), bytes).segmentIds());
      ChunkIndex chunks = new ChunkIndex();
      return loadSegments(segments, chunks, new ConcurrentHashMap<>())
          .compose(v -> onCpu(() -> {
            if (!chunks.placesEveryChunkOf(manifest)) {
              throw new VaultException("its " + segments.size() + " index segments leave chunks of the point out");
            }
            Trace.mark("index of point " + manifest.id() + " read: " + segments.size() + " segments, " + chunks.size() + " chunks");
            return new PointIndex(chunks, true);
          }))
          .onFailure(e -> chunks.close());
    });
  }

  private Future<Void> loadIndex() {
    return loadIndex(1);
  }

  /**
   * The first read: the listed segments into a new index that replaces the empty one (as a rebuild does). A segment can
   * vanish between the listing and its read: a gc that merged segments (or dropped those of deleted packs) wrote their
   * replacements first, so a fresh listing names them; the index is read again from it.
   */
  private Future<Void> loadIndex(int attempt) {
    return storage.list(ObjectKeys.INDEX).compose(objects -> rebuild(recordListing(objects), Set.of()))
        .<Void>map(v -> {
          indexLoaded = true;
          Trace.mark("index loaded: " + index.size() + " chunks");
          return null;
        })
        .recover(e -> e instanceof ObjectNotFoundException && attempt < INDEX_READS ? loadIndex(attempt + 1)
            : Future.failedFuture(e));
  }

  private Future<Void> refreshNow() {
    Set<String> known = new HashSet<>(segmentsHeld()); // all stored before the listing below, so all listed unless deleted
    boolean reread = rereadIndex;
    rereadIndex = false;
    return storage.list(ObjectKeys.INDEX).compose(objects -> {
      List<String> listed = recordListing(objects);
      if (reread) {
        return rebuild(listed, known).onSuccess(v -> Trace.mark("index read again: pending packs were forgotten"));
      }
      if (new HashSet<>(listed).containsAll(known)) {
        List<String> added = listed.stream().filter(s -> !known.contains(s)).toList();
        Map<String, Set<String>> packs = new ConcurrentHashMap<>();
        return loadSegments(added, index, packs).map(v -> {
          recordSegments(added, packs);
          if (!added.isEmpty()) {
            Trace.mark("index refreshed: " + added.size() + " segments written since the open");
          }
          return null;
        });
      }
      return rebuild(listed, known).onSuccess(v -> Trace.mark("index read again: a gc deleted segments since the open"));
    });
  }

  /** Reads {@code listed} into a new index that then replaces the current one ({@code known}: the segments it holds). */
  private Future<Void> rebuild(List<String> listed, Set<String> known) {
    ChunkIndex fresh = new ChunkIndex();
    Map<String, Set<String>> packs = new ConcurrentHashMap<>();
    Set<String> loaded = new HashSet<>(listed);
    return loadSegments(listed, fresh, packs)
        .compose(v -> replaceIndex(fresh, packs, loaded, known))
        .onFailure(e -> fresh.close());
  }

  /**
   * Puts {@code fresh} in place of the index once it also holds the segments this process stored since the refresh
   * began ({@link #storePack} adds to the index under the same monitor, so none is missed between the check and the swap).
   */
  private Future<Void> replaceIndex(ChunkIndex fresh, Map<String, Set<String>> packs, Set<String> loaded, Set<String> known) {
    List<String> storedMeanwhile;
    synchronized (this) {
      storedMeanwhile = segmentsHeld().stream().filter(s -> !known.contains(s) && !loaded.contains(s)).toList();
      if (storedMeanwhile.isEmpty()) {
        pending.all().forEach(p -> fresh.addAll(p.entries())); // stored, in no segment yet: still this process's
        retiredIndexes.add(index);
        index = fresh;
        indexSegments.clear();
        packsBySegment.clear();
        recordSegments(loaded, packs);
        return Future.succeededFuture();
      }
    }
    loaded.addAll(storedMeanwhile);
    return loadSegments(storedMeanwhile, fresh, packs).compose(v -> replaceIndex(fresh, packs, loaded, known));
  }

  /** The system property that turns {@link #warmUpCrypto()} off when {@code false}. */
  public static final String CRYPTO_WARMUP_PROPERTY = "vaultgate.cryptoWarmup";

  /**
   * Gets AES-GCM and HMAC compiled with their intrinsics on one worker, in the background, once per
   * repository: for jobs that are mostly crypto (a restore, a first backup), started while they still wait
   * on storage. Not for an incremental backup, which hashes little and needs both cores to read. Off when the
   * system property {@value #CRYPTO_WARMUP_PROPERTY} is {@code false}: {@code scripts/vaultgate} sets it when the JVM
   * starts from an AOT cache, whose method profiles get the crypto compiled as early without it.
   */
  public void warmUpCrypto() {
    if (Boolean.parseBoolean(System.getProperty(CRYPTO_WARMUP_PROPERTY, "true")) && warmedUp.compareAndSet(false, true)) {
      cpu.executeBlocking(() -> {
        CryptoWarmup.run();
        Trace.mark("crypto warmed up");
        return null;
      }, false);
    }
  }

  /** Runs CPU-bound work on the vault's worker threads; completes on the caller's context. */
  public <T> Future<T> onCpu(Callable<T> work) {
    return cpu.executeBlocking(work, false);
  }

  /**
   * Stores a pack and indexes its chunks here; an index segment names it later ({@link #flushIndex}), with the packs
   * stored before and after it, once they hold {@link #SEGMENT_ENTRIES} chunks or a point is about to be stored.
   */
  public Future<Void> storePack(SealedPack pack) {
    return storePack(pack, null);
  }

  /**
   * {@link #storePack(SealedPack)} with the pack, and later the segment naming it, under Object Lock {@code retention}
   * from their first byte (null: none).
   *
   * <p>One segment per pack made a backup write as many segments as packs (~28,000 for a 1 TiB disk), and every open
   * of the vault read each of them. A backup that dies leaves its last packs named by no segment; the next backup
   * adopts them from their headers ({@link IndexRepair}) instead of uploading them again. Locked vaults too: a segment
   * whose retention a later point extended no longer keeps the garbage packs it names ({@link IndexListing}).
   */
  public Future<Void> storePack(SealedPack pack, Retention retention) {
    requireIndex("store a pack");
    String packKey = ObjectKeys.pack(pack.packId());
    return retainCurrentKey(retention)
        .compose(v -> storage.put(packKey, pack.bytes(), pack.length(), stillAhead(retention), false))
        .map(v -> {
          if (retention != null) {
            knownRetention.put(packKey, retention);
          }
          return indexPack(pack.packId(), pack.entries(), retention);
        })
        // The store that fills a segment waits for it: uploads in flight include it, and a failure fails the job now.
        .compose(full -> full ? writePendingSegments() : Future.succeededFuture());
  }

  /**
   * Indexes the chunks of a stored pack that no segment names yet (a pack just stored, an orphan adopted); the next
   * {@link #flushIndex} names it in a segment. True when enough are pending for a segment.
   */
  boolean indexPack(String packId, List<IndexEntry> entries, Retention retention) {
    synchronized (this) { // not between a refresh's check and its swap (replaceIndex)
      index.addAll(entries);
      return pending.add(new PendingPacks.Pack(packId, List.copyOf(entries), retention), segmentEntries);
    }
  }

  /**
   * Writes index segments naming every pack stored so far that none names yet, after the writes already under way;
   * completes when they are stored. Points are stored only after it ({@link #storePoint}).
   */
  public Future<Void> flushIndex() {
    requireIndex("write index segments");
    return writePendingSegments();
  }

  private synchronized Future<Void> writePendingSegments() {
    Future<Void> next = indexWrites.transform(ignored -> writeSegments(pending.take(segmentEntries), 0));
    indexWrites = next;
    return next;
  }

  private Future<Void> writeSegments(List<List<PendingPacks.Pack>> segments, int next) {
    if (next == segments.size()) {
      return Future.succeededFuture();
    }
    List<PendingPacks.Pack> packs = segments.get(next);
    List<IndexEntry> entries = new ArrayList<>();
    packs.forEach(p -> entries.addAll(p.entries()));
    return storeSegment(entries, PendingPacks.retentionOf(packs), false, () -> pending.written(packs))
        .<Void>mapEmpty()
        .recover(e -> {
          pending.unwritten(segments.subList(next, segments.size()));
          return Future.failedFuture(e);
        })
        .compose(v -> writeSegments(segments, next + 1));
  }

  /**
   * What a job does before it lets its vault lock go: writes the pending segments; if that fails, forgets the pending
   * packs, whose chunks then must not be found here (once no lock holds the vault, a gc elsewhere may delete packs that
   * no segment names), so the next refresh reads the index again. Those packs stay in the vault as orphans, which the
   * next backup adopts. Never fails.
   */
  public Future<Void> settleIndex() {
    if (!indexLoaded) {
      return Future.succeededFuture();
    }
    return flushIndex().recover(e -> {
      synchronized (this) {
        if (!pending.clear().isEmpty()) {
          rereadIndex = true;
          log.warn("vault {}: index segments not written ({}); their packs are left for the next backup to adopt",
              name(), e.getMessage());
        }
      }
      return Future.succeededFuture();
    });
  }

  /** Ids of the packs this repository's index knows: named by a segment, or stored and pending. */
  public Set<String> indexedPacks() {
    requireIndex("list indexed packs");
    Set<String> packs = pending.packIds();
    packsBySegment.values().forEach(packs::addAll);
    return packs;
  }

  /**
   * Whatever is sealed under a rotated generation is unreadable without its {@code keys/<id>}: before an object is
   * written with {@code retention}, that object is retained as long (gc repacking an old, long-retained point's chunks
   * under the newest generation included). Once per retention and process: {@link #extendRetention} remembers.
   */
  private Future<Integer> retainCurrentKey(Retention retention) {
    String current = keys.currentGeneration();
    return retention == null || current == null ? Future.succeededFuture(0)
        : extendRetention(List.of(ObjectKeys.key(current)), retention);
  }

  /** Writes an index segment that lists {@code entries}, which must all lie in stored packs. */
  public Future<String> storeIndexSegment(List<IndexEntry> entries) {
    requireIndex("write an index segment");
    return storeSegment(entries, null, false, () -> { });
  }

  /**
   * Seals {@code entries} into a new segment on the "vault-index" thread, stores it under {@code retention} (null:
   * none) and a legal hold when {@code legalHold}, and records it here, running {@code recorded} under the same
   * monitor (not between a refresh's check and its swap).
   */
  private Future<String> storeSegment(List<IndexEntry> entries, Retention retention, boolean legalHold, Runnable recorded) {
    String segment = ObjectIds.newId();
    String key = ObjectKeys.index(segment);
    return retainCurrentKey(retention)
        .compose(v -> indexWork.executeBlocking(() -> IndexSegmentCodec.encode(keys, segment, entries), false))
        .compose(bytes -> storage.put(key, bytes, stillAhead(retention), legalHold))
        .map(v -> {
          synchronized (this) {
            indexSegments.add(segment);
            packsBySegment.put(segment, packsOf(entries));
            recorded.run();
          }
          if (retention != null) {
            knownRetention.put(key, retention);
          }
          return segment;
        });
  }

  public Future<Void> storePoint(Manifest manifest) {
    return storePoint(manifest, null);
  }

  /**
   * Writes the point's reference list ({@link PointReferences}: what it needs, in the clear, for a keyless
   * lifecycle), then the manifest, both under Object Lock {@code retention} (null: none).
   */
  public Future<Void> storePoint(Manifest manifest, Retention retention) {
    return flushIndex().compose(v -> onCpu(() -> new PointReferences(manifest.id(), referencedObjects(manifest)).encode()))
        .compose(refs -> storage.put(ObjectKeys.refs(manifest.id()), refs, stillAhead(retention), false))
        .compose(v -> storeManifest(manifest, stillAhead(retention)));
  }

  /**
   * The manifest: sealed in memory when it is small, else a frame at a time into a temporary file that is streamed
   * to the storage and then deleted, so that a disk of any size is stored in bounded memory.
   */
  private Future<Void> storeManifest(Manifest manifest, Retention retention) {
    String key = ObjectKeys.point(manifest.id());
    if (ManifestCodec.sizeBound(manifest) <= MANIFEST_IN_MEMORY) {
      return onCpu(() -> ManifestCodec.encode(keys, manifest)).compose(bytes -> storage.put(key, bytes, retention, false));
    }
    return onCpu(() -> {
      Path file = TempFiles.create("manifest");
      try {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
          ManifestCodec.encode(keys, manifest, out);
        }
        return Map.entry(file, Files.size(file));
      } catch (IOException | RuntimeException e) {
        TempFiles.delete(file);
        throw e;
      }
    }).compose(encoded -> storage.putFile(key, encoded.getKey(), encoded.getValue(), retention, false)
        .onComplete(ar -> TempFiles.delete(encoded.getKey())));
  }

  /**
   * Deletes a recovery point's manifest; its data stays until gc finds nothing else uses it. In a locked vault
   * the manifest is deleted for good (every version), which S3 refuses while its retention or a legal hold lasts.
   */
  public Future<Void> deletePoint(String id) {
    return loadPoint(id).compose(m -> deleteObject(ObjectKeys.point(id)))
        .compose(v -> deleteObject(ObjectKeys.refs(id))); // after the manifest: a point never lacks its list
  }

  /**
   * Deletes an object for good. In a locked vault the bucket keeps versions, so every version goes (never
   * bypassing governance retention: what is retained stays); elsewhere a plain delete.
   */
  public Future<Void> deleteObject(String key) {
    return config.settings().locked() ? storage.deleteAllVersions(key, false) : storage.delete(key);
  }

  // --- locked vaults ---------------------------------------------------------------------------------------

  /**
   * The retention a new recovery point is written with: until {@code requested} (null: the lock's minimum),
   * checked against the vault lock before anything is written. Null for a vault that is not locked.
   *
   * @throws VaultException when the vault is not locked but a retention was asked for, or it breaks the lock's bounds
   */
  public Retention retentionFor(Instant requested) {
    RetentionLock lock = config.settings().lock();
    if (lock == null) {
      if (requested != null) {
        throw new VaultException("cannot retain a recovery point of " + storage.describe() + " until " + requested
            + ": the vault is not locked (create it with 'vaultgate vault init --lock-mode ...' in a bucket with Object Lock)");
      }
      return null;
    }
    return lock.retentionFor(requested, Instant.now(), storage.describe());
  }

  /**
   * Makes every object {@code manifest} needs (the packs that hold its chunks, the index segments naming those
   * packs, and the config with the vault's keys) retained at least as long as {@code retention}, before the
   * manifest is written. Packs reused from older points get one PutObjectRetention each, and only when their
   * current retention is shorter; packs this process wrote with that retention are skipped. Answers how many
   * objects had their retention extended.
   */
  public Future<Integer> retainReferenced(Manifest manifest, Retention retention) {
    if (retention == null) {
      return Future.succeededFuture(0);
    }
    return flushIndex().compose(v -> onCpu(() -> referencedObjects(manifest))).compose(objects -> extendRetention(objects, retention));
  }

  /**
   * The retention, unless its date is less than {@link #RETENTION_MARGIN} away: S3 refuses a retain-until in the
   * past (RGW: InvalidArgument), and an object written after its point's retention ended needs none. Only short
   * retentions (seconds, in tests) ever come this close.
   */
  private static Retention stillAhead(Retention retention) {
    return retention == null || !retention.retainUntil().isAfter(Instant.now().plus(RETENTION_MARGIN)) ? null : retention;
  }

  private static final Duration RETENTION_MARGIN = Duration.ofSeconds(1);

  /**
   * Pack keys, index segment keys, and the config and every data-key generation (few; a point may need any older one
   * through a reused chunk) that a point needs, in a stable order.
   *
   * @throws VaultException when a pack the point needs is named by no stored index segment (its segment could not be
   *     written, {@link #settleIndex}): such a point would not survive the next gc
   */
  public Set<String> referencedObjects(Manifest manifest) {
    requireIndex("list the objects a point needs");
    Set<String> packs = referencedPacks(manifest);
    Set<String> objects = new TreeSet<>(keyObjects());
    for (String pack : packs) {
      objects.add(ObjectKeys.pack(pack));
    }
    Set<String> unnamed = new HashSet<>(packs);
    for (Map.Entry<String, Set<String>> s : packsBySegment.entrySet()) {
      for (String pack : s.getValue()) {
        if (packs.contains(pack)) {
          objects.add(ObjectKeys.index(s.getKey()));
          unnamed.removeAll(s.getValue());
          break;
        }
      }
    }
    if (!unnamed.isEmpty()) {
      throw new VaultException("recovery point " + manifest.id() + " of " + storage.describe() + " needs "
          + unnamed.size() + " pack(s) that no stored index segment names (e.g. " + ObjectKeys.pack(unnamed.iterator().next())
          + "): their segment was not written; back up again");
    }
    return objects;
  }

  /** Ids of the packs holding the chunks of {@code manifest}. */
  public Set<String> referencedPacks(Manifest manifest) {
    requireIndex("list the packs a point needs");
    return index.packsOf(manifest);
  }

  /** Extends each object's retention to cover {@code retention} (never shortening one); answers how many changed. */
  public Future<Integer> extendRetention(Collection<String> keys, Retention retention) {
    if (stillAhead(retention) == null) {
      return Future.succeededFuture(0); // nothing needs retaining past a date that has come
    }
    AtomicInteger changed = new AtomicInteger();
    List<String> todo = new ArrayList<>();
    for (String key : keys) {
      Retention known = knownRetention.get(key);
      if (known == null || !known.covers(retention)) {
        todo.add(key);
      }
    }
    return Bounded.forEach(todo, FETCH_PARALLELISM, key -> storage.extendRetention(key, retention).map(did -> {
      if (did) {
        changed.incrementAndGet();
      }
      knownRetention.merge(key, retention, (a, b) -> a.covers(b) ? a : b);
      return null;
    })).map(v -> changed.get());
  }

  /** The index segments and the packs each names, as read at open or written since. */
  public Map<String, Set<String>> packsBySegment() {
    requireIndex("list index segments");
    return Map.copyOf(packsBySegment);
  }

  /** Entries per index segment that {@link #storePack} writes from now on (tests: a small backup then writes several). */
  public void segmentEntries(int entries) {
    if (entries < 1) {
      throw new IllegalArgumentException("segment entries must be at least 1: " + entries);
    }
    segmentEntries = entries;
  }

  /**
   * Forgets an index segment that gc deleted or superseded. The chunks of the packs it named stay in this index until
   * the next refresh, which reads the whole index again: gc deletes such packs next.
   */
  public void forgetSegment(String segment) {
    requireIndex("forget an index segment");
    synchronized (this) {
      packsBySegment.remove(segment);
      indexSegments.remove(segment);
      rereadIndex = true;
    }
  }

  /**
   * Supersedes index segment {@code segment} ({@link IndexListing}; gc of a locked vault, under its exclusive lock):
   * stores a new segment with its entries of the packs not in {@code packsGoing} (when any remain), then the mark, both
   * under {@code state}'s retention and legal hold (those of the old segment: what needed it now needs the new one);
   * the packs going may be deleted once this completes. Reads the old segment again rather than trust this index,
   * which keeps one location of a chunk stored twice.
   */
  public Future<Void> supersedeSegment(String segment, Set<String> packsGoing, ObjectLockState state) {
    requireIndex("supersede an index segment");
    return readSegment(segment).compose(entries -> replaceSegment(segment, without(entries, packsGoing), state));
  }

  /**
   * Stops naming the chunks of {@code lostPacks}: packs that index segments name but that are gone from the vault
   * (deleted by hand, lost by the storage). Until then every backup found their chunks in the index and named them in
   * its point without storing them, so each new point was as damaged as the old ones; now a backup stores again those
   * its source still holds, and older points that need them are whole again (a chunk is found by its id, wherever it
   * lies). First a record of the lost entries ({@link LossRecord#LOST}, what a backup of changed extents only
   * reads to know which unread blocks to read after all, and the vault's account of the loss), then each segment
   * naming such a pack is replaced by one without them ({@link #replaceSegment}: superseded in a locked vault), then the
   * index is read again. The caller holds a vault lock and has brought the index up to date under it; a run that dies
   * half way leaves the packs named, and the next finds them missing again. A segment gone meanwhile was replaced by a
   * backup running beside this one (both under shared locks) and is left to it. Answers the lost entries recorded.
   */
  public Future<Integer> forgetLostPacks(Set<String> lostPacks) {
    requireIndex("forget lost packs");
    return forgetEntries(lostPacks, e -> lostPacks.contains(e.packId()), LossRecord.LOST);
  }

  /**
   * {@link #forgetLostPacks} for single chunks that a check found unreadable (bit rot: failing authentication, or cut
   * off by a truncated pack). Each is read once more first, and forgotten only when it fails again: a read spoiled on
   * the way must not make the index forget a sound chunk. Answers the chunks forgotten.
   */
  public Future<Integer> forgetDamagedChunks(List<IndexEntry> damaged) {
    requireIndex("forget damaged chunks");
    Set<ChunkAt> confirmed = ConcurrentHashMap.newKeySet();
    Map<String, List<IndexEntry>> byPack = new HashMap<>();
    damaged.forEach(e -> byPack.computeIfAbsent(e.packId(), p -> new ArrayList<>()).add(e));
    return Bounded.forEach(List.copyOf(byPack.keySet()), SEGMENT_FETCHES, packId -> storage.stat(ObjectKeys.pack(packId))
            .compose(pack -> Bounded.forEach(byPack.get(packId), 4, e -> (long) e.offset() + e.length() > pack.size()
                ? Future.succeededFuture(confirmed.add(ChunkAt.of(e))) // cut off by a truncated pack
                : storage.getRange(pack.key(), e.offset(), e.length()).compose(bytes -> onCpu(() -> {
                  try {
                    ChunkBlob.open(keys, e, bytes, 0);
                  } catch (TamperedDataException bad) {
                    confirmed.add(ChunkAt.of(e));
                  }
                  return null;
                }))))
            .recover(err -> {
              if (err instanceof ObjectNotFoundException) { // the pack is gone meanwhile
                byPack.get(packId).forEach(e -> confirmed.add(ChunkAt.of(e)));
                return Future.succeededFuture();
              }
              return Future.failedFuture(err);
            }))
        .compose(v -> confirmed.isEmpty() ? Future.succeededFuture(0) : forgetEntries(
            confirmed.stream().map(ChunkAt::packId).collect(java.util.stream.Collectors.toSet()),
            e -> confirmed.contains(ChunkAt.of(e)), LossRecord.DAMAGED));
  }

  /** A chunk in one pack: what a record of lost chunks and a damaged chunk are told by. */
  public record ChunkAt(String packId, java.nio.ByteBuffer chunkId) {
    public static ChunkAt of(IndexEntry e) {
      return new ChunkAt(e.packId(), java.nio.ByteBuffer.wrap(e.chunkId()));
    }
  }

  /**
   * Records the entries of the segments naming {@code packs} that {@code gone} takes, then replaces those segments by
   * ones without them, then reads the index again ({@link #forgetLostPacks}).
   */
  private Future<Integer> forgetEntries(Set<String> packs, java.util.function.Predicate<IndexEntry> gone, LossRecord loss) {
    List<String> affected = new ArrayList<>();
    packsBySegment.forEach((segment, named) -> {
      if (!Collections.disjoint(named, packs)) {
        affected.add(segment);
      }
    });
    if (affected.isEmpty()) {
      return Future.succeededFuture(0);
    }
    boolean locked = config.settings().locked();
    Map<String, List<IndexEntry>> entries = new ConcurrentHashMap<>();
    Map<String, ObjectLockState> states = new ConcurrentHashMap<>();
    return Bounded.forEach(affected, SEGMENT_FETCHES, segment -> readSegment(segment)
            .compose(e -> {
              entries.put(segment, e);
              return locked ? storage.lockState(ObjectKeys.index(segment)).map(state -> states.put(segment, state))
                  : Future.succeededFuture();
            })
            .recover(e -> e instanceof ObjectNotFoundException ? Future.succeededFuture() : Future.failedFuture(e)))
        .compose(v -> {
          affected.removeIf(segment -> !entries.containsKey(segment) || locked && !states.containsKey(segment));
          List<IndexEntry> lost = new ArrayList<>();
          entries.values().forEach(list -> list.stream().filter(gone).forEach(lost::add));
          // Retained as long as, and held if, any segment that named them: the record outlives no point needing it.
          Retention retention = states.values().stream().flatMap(s -> s.retention().stream()).reduce(Retention::union)
              .orElse(null);
          boolean hold = states.values().stream().anyMatch(ObjectLockState::legalHold);
          return (lost.isEmpty() ? Future.<Void>succeededFuture() : storeLossRecord(loss, lost, retention, hold)).map(lost.size());
        })
        .compose(lost -> Bounded.forEach(affected, 8, segment -> replaceSegment(segment,
                entries.get(segment).stream().filter(gone.negate()).toList(), locked ? states.get(segment) : null))
            .compose(v -> refreshIndex())
            .map(lost));
  }

  /**
   * The chunks of every record of lost or damaged chunks that the last listing of {@code index/} names
   * ({@link LostChunks}).
   */
  public Future<LostChunks> lostChunks() {
    return Future.all(lossEntries(LossRecord.LOST), lossEntries(LossRecord.DAMAGED)).compose(both -> {
      List<IndexEntry> all = new ArrayList<>(both.<List<IndexEntry>>resultAt(0));
      all.addAll(both.resultAt(1));
      return all.isEmpty() ? Future.succeededFuture(LostChunks.NONE) : onCpu(() -> LostChunks.of(all));
    });
  }

  /** The entries of every record of damaged chunks that the last listing of {@code index/} names. */
  public Future<List<IndexEntry>> damagedEntries() {
    return lossEntries(LossRecord.DAMAGED);
  }

  private Future<List<IndexEntry>> lossEntries(LossRecord loss) {
    requireIndex("read the records of lost chunks");
    List<IndexEntry> all = Collections.synchronizedList(new ArrayList<>());
    return Bounded.forEach(indexListing.records(loss), SEGMENT_FETCHES, r -> storage.get(loss.key(r))
            .compose(bytes -> onCpu(() -> all.addAll(loss.decode(keys, r, bytes)))))
        .map(v -> all);
  }

  private Future<Void> storeLossRecord(LossRecord loss, List<IndexEntry> entries, Retention retention, boolean legalHold) {
    String id = ObjectIds.newId();
    return retainCurrentKey(retention)
        .compose(v -> indexWork.executeBlocking(() -> loss.encode(keys, id, entries), false))
        .compose(bytes -> storage.put(loss.key(id), bytes, stillAhead(retention), legalHold));
  }

  /** The entries of a stored segment, read again from the vault. */
  private Future<List<IndexEntry>> readSegment(String segment) {
    return storage.get(ObjectKeys.index(segment)).compose(bytes -> onCpu(() -> IndexSegmentCodec.decode(keys, segment, bytes)));
  }

  /**
   * Puts a segment of {@code kept} (none when empty) in place of {@code segment}. In a locked vault ({@code state} not
   * null) the successor, then the mark, both under the old segment's retention and legal hold; in an unlocked vault
   * the successor, then the old segment is deleted.
   */
  private Future<Void> replaceSegment(String segment, List<IndexEntry> kept, ObjectLockState state) {
    Retention retention = state == null ? null : state.retention().orElse(null);
    boolean hold = state != null && state.legalHold();
    Future<String> successor = kept.isEmpty() ? Future.succeededFuture("") : storeSegment(kept, retention, hold, () -> { });
    return successor.compose(id -> state == null ? storage.delete(ObjectKeys.index(segment))
            : storage.put(ObjectKeys.supersededMark(segment), id.getBytes(StandardCharsets.US_ASCII), stillAhead(retention), hold))
        .onSuccess(v -> forgetSegment(segment));
  }

  private static List<IndexEntry> without(List<IndexEntry> entries, Set<String> packs) {
    return entries.stream().filter(e -> !packs.contains(e.packId())).toList();
  }

  private static Set<String> packsOf(List<IndexEntry> entries) {
    Set<String> packs = new HashSet<>();
    for (IndexEntry e : entries) {
      packs.add(e.packId());
    }
    return packs;
  }

  /** Ids of every recovery point, oldest first. */
  public Future<List<String>> listPoints() {
    return storage.list(ObjectKeys.POINTS).map(objects -> {
      List<String> ids = new ArrayList<>();
      for (ObjectInfo o : objects) {
        String id = ObjectKeys.idOf(o.key());
        if (id != null) {
          ids.add(id);
        }
      }
      Collections.sort(ids);
      return ids;
    });
  }

  public Future<Manifest> loadPoint(String id) {
    return statPoint(id).compose(info -> loadPoint(id, info));
  }

  /** {@link #loadPoint} once the manifest is known to be there, {@code info} its size. */
  private Future<Manifest> loadPoint(String id, ObjectInfo info) {
    String key = ObjectKeys.point(id);
    return info.size() <= MANIFEST_IN_MEMORY
        ? storage.get(key).compose(bytes -> onCpu(() -> ManifestCodec.decode(keys, id, bytes)))
        : loadLargeManifest(id, key, info.size());
  }

  /** The stored manifest's size and so on; a bad id or a point that is not there fails in one line naming it. */
  private Future<ObjectInfo> statPoint(String id) {
    if (!ObjectKeys.isId(id)) {
      return Future.failedFuture(new VaultException("not a recovery point id: '" + id + "' (expected 32 hex digits)"));
    }
    return storage.stat(ObjectKeys.point(id))
        .recover(e -> Future.failedFuture(e instanceof ObjectNotFoundException
            ? new VaultException("no recovery point " + id + " in vault " + storage.describe())
            : e));
  }

  /**
   * The header of a recovery point ({@link PointHeader}: time, parent, metadata, disk sizes), without its blocks: the
   * manifest's first frame only, fetched in one ranged read, unless the manifest is small (then whole) or its header
   * does not fit in that frame (then the whole manifest is read, as {@link #loadPoint} does).
   */
  public Future<PointHeader> loadPointHeader(String id) {
    String key = ObjectKeys.point(id);
    return statPoint(id).compose(info -> {
      boolean whole = info.size() <= ManifestCodec.FIRST_FRAME_BYTES;
      return (whole ? storage.get(key) : storage.getRange(key, 0, ManifestCodec.FIRST_FRAME_BYTES))
          .compose(bytes -> onCpu(() -> ManifestCodec.decodeHeader(keys, id, bytes, whole)))
          .compose(header -> header != null ? Future.succeededFuture(header) : loadPoint(id, info).map(m -> {
            m.disks().forEach(DiskBlocks::close);
            return PointHeader.of(m);
          }));
    });
  }

  /** Every point's header ({@link #loadPointHeader}), oldest first. */
  public Future<List<PointHeader>> loadAllPointHeaders() {
    return forEveryPoint(this::loadPointHeader);
  }

  /**
   * A manifest too large to hold: fetched in ranges into a temporary file, then decoded from it a frame at a time
   * (the block tables spill to disk as they grow), so that a disk of any size is read in bounded memory.
   */
  private Future<Manifest> loadLargeManifest(String id, String key, long size) {
    return onCpu(() -> TempFiles.create("manifest")).compose(file -> {
      byte[] window = new byte[MANIFEST_WINDOW];
      Future<Void> fetched = Future.succeededFuture();
      for (long offset = 0; offset < size; offset += MANIFEST_WINDOW) {
        long at = offset;
        int length = (int) Math.min(MANIFEST_WINDOW, size - at);
        fetched = fetched.compose(v -> storage.getRangeInto(key, at, length, window))
            .compose(n -> n < length ? Future.failedFuture(new CorruptObjectException("recovery point " + id
                + " is truncated: " + key + " ends at " + (at + n) + " of the " + size + " bytes it had"))
                : onCpu(() -> {
                  try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.APPEND)) {
                    out.write(window, 0, length);
                  }
                  return null;
                }));
      }
      return fetched.compose(v -> onCpu(() -> {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
          return ManifestCodec.decode(keys, id, in);
        }
      })).onComplete(ar -> TempFiles.delete(file));
    });
  }

  /** Every manifest, oldest first. */
  public Future<List<Manifest>> loadAllPoints() {
    return forEveryPoint(this::loadPoint);
  }

  /** {@code load} of every point, several at once, in the order of {@link #listPoints} (oldest first). */
  private <T> Future<List<T>> forEveryPoint(Function<String, Future<T>> load) {
    return listPoints().compose(ids -> {
      List<T> out = new ArrayList<>(Collections.nCopies(ids.size(), null));
      List<Integer> positions = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        positions.add(i);
      }
      return Bounded.forEach(positions, FETCH_PARALLELISM, i -> load.apply(ids.get(i)).map(x -> out.set(i, x)))
          .map(v -> Collections.unmodifiableList(out));
    });
  }

  public Vertx vertx() {
    return vertx;
  }

  public VaultStorage storage() {
    return storage;
  }

  public VaultConfig config() {
    return config;
  }

  public VaultKeys keys() {
    return keys;
  }

  public ChunkIndex index() {
    requireIndex("use the chunk index");
    return index;
  }

  /** The index segments read at open or written since. */
  public List<String> indexSegments() {
    requireIndex("list index segments");
    return segmentsHeld();
  }

  /** The segments whose entries are in the index (none before it is read). */
  private List<String> segmentsHeld() {
    synchronized (indexSegments) {
      return List.copyOf(indexSegments);
    }
  }

  public String name() {
    return storage.describe();
  }

  public PackAssembler newPackAssembler() {
    return new PackAssembler(keys, config.settings().packTargetBytes());
  }

  @Override
  public void close() {
    cpu.close();
    indexWork.close();
    index.close();
    synchronized (retiredIndexes) {
      retiredIndexes.forEach(ChunkIndex::close);
    }
  }
}
