package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.crypto.CryptoWarmup;
import dev.vaultgate.vault.crypto.KeyWrapper;
import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.IndexSegmentCodec;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ManifestCodec;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;

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

  /** Creates a vault in empty storage. Fails when a vault is already there. */
  public static Future<Repository> init(Vertx vertx, VaultStorage storage, KeyWrapper wrapper, VaultSettings settings) {
    WorkerExecutor cpu = cpuExecutor(vertx);
    return storage.stat(ObjectKeys.CONFIG)
        .<Void>transform(ar -> {
          if (ar.succeeded()) {
            return Future.failedFuture(new VaultException("cannot init vault " + storage.describe() + ": a vault already exists there"));
          }
          return ar.cause() instanceof ObjectNotFoundException ? Future.succeededFuture() : Future.failedFuture(ar.cause());
        })
        .compose(v -> cpu.executeBlocking(() -> {
          byte[] material = VaultKeys.newMaterial();
          VaultKeys keys = VaultKeys.fromMaterial(material);
          VaultConfig config = new VaultConfig(ObjectIds.newId(), System.currentTimeMillis(), settings);
          return new Repository(vertx, storage, config, keys, cpu).withConfigBytes(config.encode(keys, material, wrapper));
        }, false))
        .compose(pair -> storage.put(ObjectKeys.CONFIG, pair.bytes).map(pair.repository))
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
    String segment = ObjectIds.newId();
    return storage.put(ObjectKeys.pack(pack.packId()), pack.bytes())
        .compose(v -> onCpu(() -> IndexSegmentCodec.encode(keys, segment, pack.entries())))
        .compose(bytes -> storage.put(ObjectKeys.index(segment), bytes))
        .map(v -> {
          index.addAll(pack.entries());
          indexSegments.add(segment);
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
          return segment;
        });
  }

  public Future<Void> storePoint(Manifest manifest) {
    return onCpu(() -> ManifestCodec.encode(keys, manifest))
        .compose(bytes -> storage.put(ObjectKeys.point(manifest.id()), bytes));
  }

  /** Deletes a recovery point's manifest; its data stays until gc finds nothing else uses it. */
  public Future<Void> deletePoint(String id) {
    return loadPoint(id).compose(m -> storage.delete(ObjectKeys.point(id)));
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
