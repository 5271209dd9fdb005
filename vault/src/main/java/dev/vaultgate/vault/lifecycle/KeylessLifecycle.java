package dev.vaultgate.vault.lifecycle;

import dev.vaultgate.vault.cold.ColdPlan;
import dev.vaultgate.vault.cold.ColdStorage;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lifecycle operations on a vault's storage by its points' reference lists ({@link PointReferences}), for a caller
 * without the vault's keys.
 */
public final class KeylessLifecycle {
  private static final int PARALLELISM = 8;

  private KeylessLifecycle() {
  }

  /** What {@link #extendRetention} did. */
  public record Extension(int objects, int extended, int missing) {
  }

  /**
   * Makes the point's manifest, its reference list and every object the list names retained at least until
   * {@code until}: per object one GetObjectRetention, and a PutObjectRetention only when it is shorter; never
   * shortened, and the mode stays what the manifest has (COMPLIANCE is never turned into GOVERNANCE; a manifest
   * without retention takes {@code modeIfNone}). Objects gc already removed are counted as missing, not failed.
   *
   * @throws VaultException (failed future) when the point has no reference list (written before lists existed:
   *                        the gateway's {@code vault check} reports such a point; a gc writes its list)
   */
  public static Future<Extension> extendRetention(VaultStorage storage, String pointId, Instant until, RetentionMode modeIfNone) {
    String manifest = ObjectKeys.point(pointId);
    return readReferences(storage, pointId).compose(refs -> storage.lockState(manifest).compose(state -> {
      RetentionMode mode = state.retention().map(Retention::mode).orElse(modeIfNone);
      Retention wanted = new Retention(mode, until);
      List<String> keys = new ArrayList<>(refs.objects());
      // What the point needs first, its list and manifest last: a manifest retained this long means all it needs is.
      keys.add(ObjectKeys.refs(pointId));
      keys.add(manifest);
      AtomicInteger extended = new AtomicInteger();
      AtomicInteger missing = new AtomicInteger();
      List<String> needed = keys.subList(0, keys.size() - 2);
      return Bounded.forEach(needed, PARALLELISM, key -> extendOne(storage, key, wanted, extended, missing))
          .compose(v -> extendOne(storage, ObjectKeys.refs(pointId), wanted, extended, missing))
          .compose(v -> extendOne(storage, manifest, wanted, extended, missing))
          .map(v -> new Extension(keys.size(), extended.get(), missing.get()));
    }));
  }

  private static Future<Void> extendOne(VaultStorage storage, String key, Retention wanted, AtomicInteger extended,
      AtomicInteger missing) {
    return storage.extendRetention(key, wanted).<Void>map(did -> {
      if (did) {
        extended.incrementAndGet();
      }
      return null;
    }).recover(e -> {
      if (e instanceof ObjectNotFoundException) {
        missing.incrementAndGet();
        return Future.succeededFuture();
      }
      return Future.failedFuture(e);
    });
  }

  /**
   * Moves packs to {@code coldClass} as {@link ColdPlan} decides, from every live point's reference list. When a live
   * point (a manifest) has no list, nothing moves: its packs are unknown without the key, and a warm point's pack
   * must not go cold.
   */
  public static Future<ColdStorage.Report> moveToCold(VaultStorage storage, Set<String> coldPoints, String coldClass) {
    if (coldClass == null || coldClass.isBlank() || "STANDARD".equals(coldClass)) {
      return Future.failedFuture(new VaultException("cannot move recovery points of " + storage.describe()
          + " to cold storage: no cold storage class given"));
    }
    return storage.list(ObjectKeys.POINTS).compose(manifests -> {
      List<String> ids = new ArrayList<>();
      for (ObjectInfo o : manifests) {
        String id = ObjectKeys.idOf(o.key());
        if (id != null) {
          ids.add(id);
        }
      }
      Map<String, Collection<String>> packsByPoint = new ConcurrentHashMap<>();
      Set<String> unlisted = ConcurrentHashMap.newKeySet();
      return Bounded.forEach(ids, PARALLELISM, id -> readReferences(storage, id)
              .map(refs -> packsByPoint.put(id, refs.packIds()))
              .recover(e -> {
                if (e instanceof VaultException) {
                  unlisted.add(id);
                  return Future.succeededFuture();
                }
                return Future.failedFuture(e);
              }))
          .compose(v -> {
            if (!unlisted.isEmpty()) {
              return Future.failedFuture(new VaultException("cannot move packs of " + storage.describe()
                  + " to cold storage: " + unlisted.size() + " recovery point(s) have no reference list (first "
                  + new TreeSet<>(unlisted).first() + "; written before lists existed): run 'vaultgate vault gc' once"));
            }
            return storage.storageClasses(ObjectKeys.PACKS);
          })
          .compose(classesByKey -> {
            Map<String, String> classOfPack = new HashMap<>();
            classesByKey.forEach((key, c) -> classOfPack.put(ObjectKeys.idOf(key), c));
            ColdPlan.Result plan = ColdPlan.plan(packsByPoint, coldPoints, classOfPack, coldClass);
            List<String> move = new ArrayList<>(plan.move());
            return Bounded.forEach(move, 4, pack -> storage.changeStorageClass(ObjectKeys.pack(pack), coldClass))
                .map(x -> new ColdStorage.Report(coldClass, move.size(), plan.alreadyCold().size(), plan.keptWarm().size()));
          });
    });
  }

  /**
   * Deletes a point's manifest, then its reference list (a point never lacks its list), every stored version of each
   * ({@link VaultStorage#deleteAllVersions}, never bypassing governance retention): what {@code Repository.deletePoint}
   * does, without the key. Deleting a point already gone succeeds. Fails with {@code ObjectLockedException} while
   * Object Lock retains or holds the manifest; the packs stay for gc, which needs the key.
   */
  public static Future<Void> deletePoint(VaultStorage storage, String pointId) {
    return storage.deleteAllVersions(ObjectKeys.point(pointId), false)
        .compose(v -> storage.deleteAllVersions(ObjectKeys.refs(pointId), false));
  }

  /** The point's reference list; a {@link VaultException} naming the point when it has none. */
  public static Future<PointReferences> readReferences(VaultStorage storage, String pointId) {
    return storage.get(ObjectKeys.refs(pointId))
        .recover(e -> Future.failedFuture(e instanceof ObjectNotFoundException
            ? new VaultException("recovery point " + pointId + " of " + storage.describe() + " has no reference list "
                + ObjectKeys.refs(pointId) + " (written before lists existed; 'vaultgate vault gc' writes one)")
            : e))
        .map(bytes -> PointReferences.decode(pointId, bytes));
  }
}
