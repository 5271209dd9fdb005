package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.crypto.CryptoWarmup;
import dev.vaultgate.vault.crypto.KeyWrapper;
import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.IndexSegmentCodec;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ManifestCodec;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open vault: its storage, keys, settings and chunk index, and the operations on packs, index segments
 * and recovery points. CPU work (sealing, decoding) runs on the shared "vault-cpu" worker executor, one
 * thread per core.
 */
public final class Repository implements AutoCloseable {
  /** Index segments and manifests fetched at once when a vault opens. */
  private static final int FETCH_PARALLELISM = 8;

  private final Vertx vertx;
  private final VaultStorage storage;
  private final VaultConfig config;
  private final VaultKeys keys;
  private final ChunkIndex index = new ChunkIndex();
  private final WorkerExecutor cpu;
  private final List<String> indexSegments = Collections.synchronizedList(new ArrayList<>());
  private final java.util.concurrent.atomic.AtomicBoolean warmedUp = new java.util.concurrent.atomic.AtomicBoolean();
  /** Which packs each index segment names: gc of a locked vault deletes a pack only with every segment naming it. */
  private final Map<String, Set<String>> packsBySegment = new ConcurrentHashMap<>();
  /**
   * Retain-until dates this process wrote or set, by object key: a pack that many points of one run reuse is
   * extended once, and one written by this backup not at all.
   */
  private final Map<String, Retention> knownRetention = new ConcurrentHashMap<>();

  private Repository(Vertx vertx, VaultStorage storage, VaultConfig config, VaultKeys keys, WorkerExecutor cpu) {
    this.vertx = vertx;
    this.storage = storage;
    this.config = config;
    this.keys = keys;
    this.cpu = cpu;
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
          return new Repository(vertx, storage, config, keys, cpu)
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

  /** Opens the vault: reads its config, unwraps its keys with {@code wrapper}, and loads its index. */
  public static Future<Repository> open(Vertx vertx, VaultStorage storage, KeyWrapper wrapper) {
    WorkerExecutor cpu = cpuExecutor(vertx);
    return storage.get(ObjectKeys.CONFIG)
        .recover(e -> Future.failedFuture(e instanceof ObjectNotFoundException
            ? new VaultException("no vault at " + storage.describe() + ": it has no config object (create one with 'vaultgate vault init')")
            : e))
        .compose(bytes -> cpu.executeBlocking(() -> VaultConfig.decode(bytes, wrapper, storage.describe()), false))
        .map(opened -> new Repository(vertx, storage, opened.config(), opened.keys(), cpu))
        .compose(repo -> {
          Trace.mark("config read, keys unwrapped");
          return repo.loadIndex().map(repo);
        })
        .onSuccess(repo -> Trace.mark("index loaded: " + repo.index().size() + " chunks"))
        .onFailure(e -> cpu.close());
  }

  private Future<Void> loadIndex() {
    return storage.list(ObjectKeys.INDEX).compose(objects -> Bounded.forEach(objects, FETCH_PARALLELISM, o -> {
      String segment = ObjectKeys.idOf(o.key());
      if (segment == null) {
        return Future.succeededFuture();
      }
      return storage.get(o.key())
          .compose(bytes -> onCpu(() -> IndexSegmentCodec.decode(keys, segment, bytes)))
          .map(entries -> {
            index.addAll(entries);
            indexSegments.add(segment);
            packsBySegment.put(segment, packsOf(entries));
            return null;
          });
    }));
  }

  /**
   * Gets AES-GCM and HMAC compiled with their intrinsics on one worker, in the background, once per
   * repository: for jobs that are mostly crypto (a restore, a first backup), started while they still wait
   * on storage. Not for an incremental backup, which hashes little and needs both cores to read.
   */
  public void warmUpCrypto() {
    if (warmedUp.compareAndSet(false, true)) {
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

  /** Stores a pack, then the index segment naming its chunks (never the other way round), then indexes them here. */
  public Future<Void> storePack(SealedPack pack) {
    return storePack(pack, null);
  }

  /**
   * {@link #storePack(SealedPack)} with both objects under Object Lock {@code retention} from their first byte
   * (null: none).
   */
  public Future<Void> storePack(SealedPack pack, Retention retention) {
    String segment = ObjectIds.newId();
    String packKey = ObjectKeys.pack(pack.packId());
    return storage.put(packKey, pack.bytes(), stillAhead(retention), false)
        .compose(v -> onCpu(() -> IndexSegmentCodec.encode(keys, segment, pack.entries())))
        .compose(bytes -> storage.put(ObjectKeys.index(segment), bytes, stillAhead(retention), false))
        .map(v -> {
          index.addAll(pack.entries());
          indexSegments.add(segment);
          packsBySegment.put(segment, Set.of(pack.packId()));
          if (retention != null) {
            knownRetention.put(packKey, retention);
            knownRetention.put(ObjectKeys.index(segment), retention);
          }
          return null;
        });
  }

  /** Writes an index segment that lists {@code entries}, which must all lie in stored packs. */
  public Future<String> storeIndexSegment(List<IndexEntry> entries) {
    String segment = ObjectIds.newId();
    return onCpu(() -> IndexSegmentCodec.encode(keys, segment, entries))
        .compose(bytes -> storage.put(ObjectKeys.index(segment), bytes))
        .map(v -> {
          indexSegments.add(segment);
          packsBySegment.put(segment, packsOf(entries));
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
    return onCpu(() -> new PointReferences(manifest.id(), referencedObjects(manifest)).encode())
        .compose(refs -> storage.put(ObjectKeys.refs(manifest.id()), refs, stillAhead(retention), false))
        .compose(v -> onCpu(() -> ManifestCodec.encode(keys, manifest)))
        .compose(bytes -> storage.put(ObjectKeys.point(manifest.id()), bytes, stillAhead(retention), false));
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
    return onCpu(() -> referencedObjects(manifest)).compose(objects -> extendRetention(objects, retention));
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

  /** Pack keys, index segment keys and the config that a point needs, in a stable order. */
  public Set<String> referencedObjects(Manifest manifest) {
    Set<String> packs = referencedPacks(manifest);
    Set<String> objects = new TreeSet<>();
    objects.add(ObjectKeys.CONFIG);
    for (String pack : packs) {
      objects.add(ObjectKeys.pack(pack));
    }
    for (Map.Entry<String, Set<String>> s : packsBySegment.entrySet()) {
      for (String pack : s.getValue()) {
        if (packs.contains(pack)) {
          objects.add(ObjectKeys.index(s.getKey()));
          break;
        }
      }
    }
    return objects;
  }

  /** Ids of the packs holding the chunks of {@code manifest}. */
  public Set<String> referencedPacks(Manifest manifest) {
    Set<String> packs = new HashSet<>();
    for (DiskBlocks disk : manifest.disks()) {
      byte[] id = new byte[DiskBlocks.ID];
      for (int i = 0; i < disk.entryCount(); i++) {
        disk.chunkIdAt(i, id, 0);
        IndexEntry e = index.get(id);
        if (e != null) {
          packs.add(e.packId());
        }
      }
    }
    return packs;
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
    return Map.copyOf(packsBySegment);
  }

  /** Forgets a deleted index segment (gc). */
  public void forgetSegment(String segment) {
    packsBySegment.remove(segment);
    indexSegments.remove(segment);
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
    if (!ObjectKeys.isId(id)) {
      return Future.failedFuture(new VaultException("not a recovery point id: '" + id + "' (expected 32 hex digits)"));
    }
    return storage.get(ObjectKeys.point(id))
        .recover(e -> Future.failedFuture(e instanceof ObjectNotFoundException
            ? new VaultException("no recovery point " + id + " in vault " + storage.describe())
            : e))
        .compose(bytes -> onCpu(() -> ManifestCodec.decode(keys, id, bytes)));
  }

  /** Every manifest, oldest first. */
  public Future<List<Manifest>> loadAllPoints() {
    return listPoints().compose(ids -> {
      Manifest[] out = new Manifest[ids.size()];
      List<Integer> positions = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        positions.add(i);
      }
      return Bounded.forEach(positions, FETCH_PARALLELISM, i -> loadPoint(ids.get(i)).map(m -> out[i] = m))
          .map(v -> List.of(out));
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
    return index;
  }

  /** The index segments read at open or written since. */
  public List<String> indexSegments() {
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
    index.close();
  }
}
