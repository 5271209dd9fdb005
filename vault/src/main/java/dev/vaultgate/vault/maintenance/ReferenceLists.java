package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.IndexSegmentCodec;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.IndexListing;
import dev.vaultgate.vault.repo.ChunkIndex;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectLockedException;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.Retention;
import io.vertx.core.Future;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps every point's {@code refs/} list ({@link PointReferences}) true after gc moved chunks between packs:
 * recomputed from the index segments as stored now (a chunk in two stored packs names both, so a list never
 * misses a pack a reader might use), rewritten only when it changed, under the manifest's retention; lists of
 * points that are gone are deleted, and points written before lists existed get one.
 */
public final class ReferenceLists {
  private static final int PARALLELISM = 8;

  private ReferenceLists() {
  }

  /**
   * Rewrites the list of every point of the vault that is not true any more: after a repair wrote index segments for
   * chunks that points already use, or replaced segments without forgotten chunks, their lists must name the new ones.
   * Under a shared vault lock, beside backups: so it deletes no list of a point that is gone, as gc does under its
   * exclusive one ({@link #refresh}), since a backup under way writes its point's list before the manifest. Answers how
   * many lists were written.
   */
  public static Future<Integer> refreshAll(Repository repo) {
    return repo.loadAllPoints().compose(points -> rewrite(repo, points, new AtomicInteger()));
  }

  /**
   * Rewrites the lists of {@code points} that changed, and deletes those of points that are gone: gc, under its
   * exclusive vault lock. Answers how many lists were written or deleted.
   */
  static Future<Integer> refresh(Repository repo, List<Manifest> points) {
    AtomicInteger changed = new AtomicInteger();
    return rewrite(repo, points, changed).compose(n -> dropOrphans(repo, points, changed)).map(v -> changed.get());
  }

  private static Future<Integer> rewrite(Repository repo, List<Manifest> points, AtomicInteger changed) {
    return repo.storage().list(ObjectKeys.PACKS).compose(packObjects -> {
      Set<String> stored = new HashSet<>();
      for (ObjectInfo o : packObjects) {
        String id = ObjectKeys.idOf(o.key());
        if (id != null) {
          stored.add(id);
        }
      }
      return locations(repo, stored).compose(at -> Bounded.forEach(points, PARALLELISM,
              m -> repo.onCpu(() -> references(m, at, repo.keyObjects())).compose(wanted -> store(repo, m, wanted, changed)))
          .eventually(() -> {
            at.firstPacks().close();
            return Future.succeededFuture();
          }));
    }).map(v -> changed.get());
  }

  /** Writes the point's list when it differs from {@code wanted}, under the manifest's retention. */
  private static Future<Void> store(Repository repo, Manifest m, PointReferences wanted, AtomicInteger changed) {
    String key = ObjectKeys.refs(m.id());
    return repo.storage().get(key)
        .map(bytes -> PointReferences.decode(m.id(), bytes))
        .recover(e -> e instanceof ObjectNotFoundException ? Future.succeededFuture(null) : Future.failedFuture(e))
        .compose(current -> current != null && current.objects().equals(wanted.objects()) ? Future.succeededFuture()
            : retentionOf(repo, m.id()).compose(r -> repo.storage().put(key, wanted.encode(), r, false))
                .onSuccess(v -> changed.incrementAndGet()));
  }

  /**
   * Where the stored index segments put each chunk: its first stored pack in an index of its own (spilled to disk
   * past its heap budget, so a vault of many chunks needs no more heap), the further packs of the few chunks stored
   * twice (a repack or a backup that raced an interrupted one), and the segments naming each pack.
   */
  private record Locations(ChunkIndex firstPacks, Map<ByteBuffer, Set<String>> morePacks,
                           Map<String, Set<String>> segmentsByPack) {
  }

  private static Future<Locations> locations(Repository repo, Set<String> storedPacks) {
    Locations at = new Locations(new ChunkIndex(), new HashMap<>(), new HashMap<>());
    // The segments that count: a superseded one names packs that are gone (IndexListing).
    return repo.storage().list(ObjectKeys.INDEX).compose(objects -> Bounded.forEach(IndexListing.of(objects).segments(),
        Repository.SEGMENT_FETCHES, segment -> {
          // Segments are opened in parallel; each entry is recorded under the lock: a chunk's second pack must see its first.
          return repo.storage().get(ObjectKeys.index(segment)).compose(bytes -> repo.onCpu(() -> {
            IndexSegmentCodec.decode(repo.keys(), segment, bytes, e -> {
              if (storedPacks.contains(e.packId())) {
                synchronized (at) {
                  IndexEntry first = at.firstPacks().get(e.chunkId());
                  if (first == null) {
                    at.firstPacks().addAll(List.of(e));
                  } else if (!first.packId().equals(e.packId())) {
                    at.morePacks().computeIfAbsent(ByteBuffer.wrap(e.chunkId()), k -> new HashSet<>()).add(e.packId());
                  }
                  at.segmentsByPack().computeIfAbsent(e.packId(), k -> new HashSet<>()).add(segment);
                }
              }
            });
            return null;
          }));
        })).map(v -> at).onFailure(e -> at.firstPacks().close());
  }

  private static PointReferences references(Manifest m, Locations at, Set<String> keyObjects) {
    Set<String> objects = new TreeSet<>(keyObjects);
    Set<String> packs = new HashSet<>();
    byte[] id = new byte[DiskBlocks.ID];
    for (DiskBlocks disk : m.disks()) { // read only, once locations() is complete: no lock needed
      for (int i = 0; i < disk.entryCount(); i++) {
        disk.chunkIdAt(i, id, 0);
        IndexEntry first = at.firstPacks().get(id);
        if (first != null) {
          packs.add(first.packId());
          Set<String> more = at.morePacks().get(ByteBuffer.wrap(id));
          if (more != null) {
            packs.addAll(more);
          }
        }
      }
    }
    for (String pack : packs) {
      objects.add(ObjectKeys.pack(pack));
      for (String segment : at.segmentsByPack().getOrDefault(pack, Set.of())) {
        objects.add(ObjectKeys.index(segment));
      }
    }
    return new PointReferences(m.id(), objects);
  }

  /** The manifest's retention, so a rewritten list is kept as long as its point (none in an unlocked vault). */
  private static Future<Retention> retentionOf(Repository repo, String pointId) {
    if (!repo.config().settings().locked()) {
      return Future.succeededFuture(null);
    }
    return repo.storage().lockState(ObjectKeys.point(pointId)).map(state -> state.retention()
        .filter(r -> r.retainUntil().isAfter(java.time.Instant.now().plusSeconds(1))).orElse(null));
  }

  private static Future<Void> dropOrphans(Repository repo, List<Manifest> points, AtomicInteger changed) {
    Set<String> live = new HashSet<>();
    for (Manifest m : points) {
      live.add(m.id());
    }
    return repo.storage().list(ObjectKeys.REFS).compose(lists -> {
      List<String> orphans = new ArrayList<>();
      for (ObjectInfo o : lists) {
        String id = ObjectKeys.idOf(o.key());
        if (id != null && !live.contains(id)) {
          orphans.add(o.key());
        }
      }
      // A list still retained stays until its retention ends (it only names objects; gc never needs it).
      return Bounded.forEach(orphans, PARALLELISM, key -> repo.deleteObject(key)
          .onSuccess(v -> changed.incrementAndGet())
          .recover(e -> e instanceof ObjectLockedException ? Future.succeededFuture() : Future.failedFuture(e)));
    });
  }
}
