package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Legal hold on a recovery point = S3 legal hold on everything it needs: its manifest, the packs holding its
 * chunks, the index segments naming those packs, and the config with the vault's keys. Packs are shared between
 * points, and S3 has one hold flag per object, so releasing a point keeps the hold on what another held point
 * still needs.
 */
public final class LegalHolds {
  private static final int PARALLELISM = 8;

  private LegalHolds() {
  }

  /** Puts a legal hold on the point and all it needs; the manifest last, so a held manifest means held data. */
  public static Future<Integer> hold(Repository repo, String pointId) {
    return requireLocked(repo).compose(v -> pointAndIndex(repo, pointId)).compose(m -> repo.onCpu(() -> repo.referencedObjects(m)))
        .compose(objects -> Bounded.forEach(new ArrayList<>(objects), PARALLELISM, key -> repo.storage().setLegalHold(key, true))
            .compose(v -> repo.storage().setLegalHold(ObjectKeys.point(pointId), true))
            .map(v -> objects.size() + 1));
  }

  /**
   * Takes the point's legal hold off: the manifest first, then each object no other held point needs.
   * Answers how many objects were released.
   */
  public static Future<Integer> release(Repository repo, String pointId) {
    return requireLocked(repo).compose(v -> pointAndIndex(repo, pointId))
        .compose(m -> repo.storage().setLegalHold(ObjectKeys.point(pointId), false).map(m))
        .compose(m -> stillHeld(repo, pointId).compose(keep -> repo.onCpu(() -> {
          Set<String> release = new TreeSet<>(repo.referencedObjects(m));
          release.removeAll(keep);
          return release;
        })))
        .compose(release -> Bounded.forEach(new ArrayList<>(release), PARALLELISM,
                key -> repo.storage().setLegalHold(key, false))
            .map(v -> release.size() + 1));
  }

  /**
   * The point, then the index brought up to date: a point's index segments are written before its manifest, so an
   * index read after the manifest names every pack the point needs, even when the repository was opened before the
   * point was made (an index that lacks some would hold, or release, only part of the point).
   */
  private static Future<Manifest> pointAndIndex(Repository repo, String pointId) {
    return repo.loadPoint(pointId).compose(m -> repo.refreshIndex().map(m));
  }

  /** What the other points on legal hold need. */
  private static Future<Set<String>> stillHeld(Repository repo, String except) {
    Set<String> needed = Collections.synchronizedSet(new TreeSet<>());
    return repo.listPoints().compose(ids -> {
      List<String> others = new ArrayList<>(ids);
      others.remove(except);
      return Bounded.forEach(others, PARALLELISM, id -> repo.storage().lockState(ObjectKeys.point(id))
          .compose(state -> !state.legalHold() ? Future.succeededFuture()
              : repo.loadPoint(id).compose((Manifest m) -> repo.onCpu(() -> needed.addAll(repo.referencedObjects(m))))));
    }).map(v -> needed);
  }

  private static Future<Void> requireLocked(Repository repo) {
    return repo.config().settings().locked() ? Future.succeededFuture() : Future.failedFuture(new VaultException(
        "cannot change legal holds in vault " + repo.name() + ": the vault is not locked (legal holds need S3 Object Lock)"));
  }
}
