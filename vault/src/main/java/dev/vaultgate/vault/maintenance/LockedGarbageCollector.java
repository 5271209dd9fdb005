package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.IndexListing;
import dev.vaultgate.vault.repo.PackAssembler;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.SealedPack;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectLockState;
import dev.vaultgate.vault.storage.Retention;
import io.vertx.core.Future;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * gc of a locked vault. A pack goes only when no live recovery point references it (or, repacked, its live
 * chunks are copied first) AND Object Lock no longer protects it: no retention still running, no legal hold.
 * A pack still protected stays as it is, even if it is mostly garbage. Every index segment naming a pack that goes
 * is deleted first, or, when Object Lock keeps it (a later point that reused another of its packs extended it) or it
 * names packs that stay, superseded ({@link IndexListing}: a new segment names the packs that stay, under the old
 * one's retention and hold, and a mark retires the old one), so the index never names a missing pack and no garbage
 * pack stays for a segment's sake. Superseded segments, and then their marks, go once Object Lock lets them. New
 * packs that repacking writes are retained as long as the longest-retained live point that uses their chunks.
 * Deletes remove every version (a locked bucket is versioned) and never bypass governance retention.
 */
final class LockedGarbageCollector {
  private static final int STATE_PARALLELISM = 8;

  private LockedGarbageCollector() {
  }

  static Future<GcReport> collect(Repository repo, List<Manifest> points, List<ObjectInfo> packObjects) {
    Instant now = Instant.now();
    Map<String, ObjectLockState> pointStates = new ConcurrentHashMap<>();
    return Bounded.forEach(points, STATE_PARALLELISM, m -> repo.storage().lockState(ObjectKeys.point(m.id()))
            .map(state -> pointStates.put(m.id(), state)))
        .compose(v -> repo.onCpu(() -> LiveChunks.of(repo.index(), points)))
        .compose(live -> plan(repo, points, pointStates, live, packObjects, now));
  }

  private static Future<GcReport> plan(Repository repo, List<Manifest> points, Map<String, ObjectLockState> pointStates,
                                       LiveChunks live, List<ObjectInfo> packObjects, Instant now) {
    Map<String, Long> sizes = new HashMap<>();
    List<String> candidates = new ArrayList<>();
    for (ObjectInfo o : packObjects) {
      String id = ObjectKeys.idOf(o.key());
      if (id == null) {
        continue;
      }
      sizes.put(id, o.size());
      Long liveBytes = live.bytesByPack.get(id);
      if (liveBytes == null || liveBytes < o.size() * GarbageCollector.REPACK_BELOW) {
        candidates.add(id);
      }
    }
    Set<String> protectedPacks = ConcurrentHashMap.newKeySet();
    return Bounded.forEach(candidates, STATE_PARALLELISM, id -> repo.storage().lockState(ObjectKeys.pack(id))
            .map(state -> state.protectedAt(now) && protectedPacks.add(id)))
        .compose(v -> {
          Set<String> gone = new HashSet<>(candidates);
          gone.removeAll(protectedPacks);
          return segmentPlan(repo, gone, now);
        })
        .compose(plan -> {
          List<String> repack = new ArrayList<>();
          List<String> delete = new ArrayList<>();
          long freed = 0;
          for (String id : plan.gonePacks) {
            Long liveBytes = live.bytesByPack.get(id);
            if (liveBytes == null) {
              delete.add(id);
              freed += sizes.get(id);
            } else {
              repack.add(id);
              freed += sizes.get(id) - liveBytes;
            }
          }
          int retained = candidates.size() - plan.gonePacks.size();
          long bytesFreed = freed;
          if (plan.gonePacks.isEmpty() && plan.segmentsGoing() == 0) {
            return Future.succeededFuture(new GcReport(0, 0, packObjects.size(), 0, 0, 0, retained));
          }
          return repo.onCpu(() -> {
            Map<String, List<IndexEntry>> moved = live.entriesOf(new HashSet<>(repack));
            return new Repack(moved, retentionsOf(moved, points, pointStates, now));
          }).compose(r -> {
            PackAssembler assembler = repo.newPackAssembler();
            return Bounded.forEach(repack, GarbageCollector.REPACKS_AT_ONCE, id -> GarbageCollector.copyLiveChunks(repo, id,
                    r.entries.get(id), assembler, p -> repo.storePack(p, retentionOf(p, r.retentions))))
                .compose(v -> repo.onCpu(assembler::flush))
                .compose(last -> last == null ? Future.succeededFuture()
                    : repo.storePack(last, retentionOf(last, r.retentions)))
                .compose(v -> repo.flushIndex()); // the new packs' segments
          })
              // Segments before packs: the index never names a pack that is gone.
              .compose(v -> Bounded.forEach(plan.delete, 8, s -> repo.deleteObject(ObjectKeys.index(s))
                  .onSuccess(done -> repo.forgetSegment(s))))
              .compose(v -> Bounded.forEach(new ArrayList<>(plan.supersede.entrySet()), 1,
                  s -> repo.supersedeSegment(s.getKey(), plan.gonePacks, s.getValue())))
              .compose(v -> Bounded.forEach(new ArrayList<>(plan.gonePacks), 8, p -> repo.deleteObject(ObjectKeys.pack(p))))
              // A mark goes only after its segment: until then the old segment would count again.
              .compose(v -> Bounded.forEach(plan.retired, 8, s -> repo.deleteObject(ObjectKeys.index(s))))
              .compose(v -> Bounded.forEach(plan.marks, 8, s -> repo.deleteObject(ObjectKeys.supersededMark(s))))
              .map(v -> new GcReport(delete.size(), repack.size(), packObjects.size() - plan.gonePacks.size(), bytesFreed,
                  live.dead, plan.delete.size() + plan.retired.size(), retained));
        });
  }

  /**
   * @param gonePacks packs to delete
   * @param delete    segments naming only packs that go, which nothing protects: deleted before the packs
   * @param supersede segments naming a pack that goes but kept by Object Lock or naming packs that stay: superseded
   *                  before the packs go, under their own lock state
   * @param retired   superseded segments (of this or an earlier gc) that nothing protects any more: deleted
   * @param marks     marks to delete after the segments they retire: of {@code retired}, or of segments already gone
   */
  private record Plan(Set<String> gonePacks, List<String> delete, Map<String, ObjectLockState> supersede,
                      List<String> retired, List<String> marks) {
    int segmentsGoing() {
      return delete.size() + supersede.size() + retired.size() + marks.size();
    }
  }

  /** The live entries of the packs to repack, and the retention each of their chunks still needs. */
  private record Repack(Map<String, List<IndexEntry>> entries, Map<ByteBuffer, Retention> retentions) {
  }

  /**
   * Per chunk moved by repacking, the latest retain-until among the points that use it and are retained now (a chunk
   * no such point uses has none). Held for the moved chunks only, not for every live chunk of the vault.
   */
  private static Map<ByteBuffer, Retention> retentionsOf(Map<String, List<IndexEntry>> moved, List<Manifest> points,
                                                         Map<String, ObjectLockState> pointStates, Instant now) {
    Set<ByteBuffer> ids = new HashSet<>();
    moved.values().forEach(entries -> entries.forEach(e -> ids.add(ByteBuffer.wrap(e.chunkId()))));
    Map<ByteBuffer, Retention> needed = new HashMap<>();
    if (ids.isEmpty()) {
      return needed;
    }
    byte[] id = new byte[DiskBlocks.ID];
    ByteBuffer key = ByteBuffer.wrap(id);
    for (Manifest m : points) {
      Retention retention = pointStates.get(m.id()).retention().filter(r -> r.activeAt(now)).orElse(null);
      if (retention == null) {
        continue;
      }
      for (DiskBlocks d : m.disks()) {
        for (int i = 0; i < d.entryCount(); i++) {
          d.chunkIdAt(i, id, 0);
          if (ids.contains(key)) {
            needed.merge(ByteBuffer.wrap(id.clone()), retention, Retention::union);
          }
        }
      }
    }
    return needed;
  }

  /**
   * What becomes of the segments ({@link Plan}) when {@code gone} packs go: each one that counts and names any of them
   * is deleted if it names nothing else and Object Lock lets it go, else superseded. Superseded segments already
   * stored go once unprotected, and marks once their segments are gone and they are unprotected themselves.
   */
  private static Future<Plan> segmentPlan(Repository repo, Set<String> gone, Instant now) {
    Map<String, Set<String>> bySegment = repo.packsBySegment();
    List<String> touched = new ArrayList<>();
    for (Map.Entry<String, Set<String>> s : bySegment.entrySet()) {
      if (s.getValue().stream().anyMatch(gone::contains)) {
        touched.add(s.getKey());
      }
    }
    IndexListing listing = repo.indexListing();
    Map<String, ObjectLockState> states = new ConcurrentHashMap<>();
    List<String> keys = new ArrayList<>();
    touched.forEach(s -> keys.add(ObjectKeys.index(s)));
    listing.superseded().forEach(s -> keys.add(ObjectKeys.index(s)));
    listing.marks().forEach(s -> keys.add(ObjectKeys.supersededMark(s)));
    return Bounded.forEach(keys, STATE_PARALLELISM, key -> repo.storage().lockState(key).map(state -> states.put(key, state)))
        .map(v -> {
          List<String> delete = new ArrayList<>();
          Map<String, ObjectLockState> supersede = new HashMap<>();
          for (String s : touched) {
            ObjectLockState state = states.get(ObjectKeys.index(s));
            if (!state.protectedAt(now) && gone.containsAll(bySegment.get(s))) {
              delete.add(s);
            } else {
              supersede.put(s, state);
            }
          }
          List<String> retired = new ArrayList<>();
          for (String s : listing.superseded()) {
            if (!states.get(ObjectKeys.index(s)).protectedAt(now)) {
              retired.add(s);
            }
          }
          List<String> marks = new ArrayList<>();
          for (String s : listing.marks()) {
            boolean segmentGoes = !listing.superseded().contains(s) || retired.contains(s);
            if (segmentGoes && !states.get(ObjectKeys.supersededMark(s)).protectedAt(now)) {
              marks.add(s);
            }
          }
          return new Plan(gone, delete, supersede, retired, marks);
        });
  }

  /** The retention a repacked pack needs: the longest of the retained points using its chunks, or none. */
  private static Retention retentionOf(SealedPack pack, Map<ByteBuffer, Retention> needed) {
    Retention longest = null;
    for (IndexEntry e : pack.entries()) {
      Retention r = needed.get(ByteBuffer.wrap(e.chunkId()));
      if (r != null) {
        longest = longest == null ? r : longest.union(r);
      }
    }
    return longest;
  }
}
