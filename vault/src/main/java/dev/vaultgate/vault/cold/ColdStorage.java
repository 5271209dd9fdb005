package dev.vaultgate.vault.cold;

import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Moves the data of recovery points whose cold date has come into the vault's cold storage class, as
 * {@link ColdPlan} decides: a pack moves once every live point that needs it is cold. Each move is one copy of the
 * pack onto itself into the class, keeping its retention and legal hold; a pass can stop anywhere and run again
 * (packs already in the class are skipped).
 */
public final class ColdStorage {
  private static final int PARALLELISM = 4;

  /** What a pass did. */
  public record Report(String storageClass, int moved, int alreadyCold, int keptWarm) {
  }

  private ColdStorage() {
  }

  /**
   * @param coldPoints ids of the points whose MoveToColdStorageAfterDays has passed (unknown ids are ignored)
   * @param coldClass the class to move into: on AWS S3 e.g. GLACIER_IR, GLACIER or DEEP_ARCHIVE; on Ceph RGW a
   *                  storage class of the bucket's placement (scripts/rgw adds COLD)
   */
  public static Future<Report> move(Repository repo, Set<String> coldPoints, String coldClass) {
    if (coldClass == null || coldClass.isBlank() || "STANDARD".equals(coldClass)) {
      return Future.failedFuture(new VaultException("cannot move recovery points of " + repo.name()
          + " to cold storage: no cold storage class given (e.g. GLACIER_IR, DEEP_ARCHIVE, or a Ceph placement class)"));
    }
    // The index is brought up to date after the points are read: it then names the packs of each of them (a point's
    // segments are written before its manifest), also of points made after the repository was opened, whose packs an
    // index read at the open would not name, so that none of them would move.
    return repo.loadAllPoints().compose(points -> repo.refreshIndex().map(points)).compose(points -> repo.onCpu(() -> {
      Map<String, Set<String>> packsByPoint = new HashMap<>();
      for (Manifest m : points) {
        packsByPoint.put(m.id(), repo.referencedPacks(m));
      }
      return packsByPoint;
    })).compose(packsByPoint -> repo.storage().storageClasses(ObjectKeys.PACKS).compose(classesByKey -> {
      Map<String, String> classOfPack = new HashMap<>();
      classesByKey.forEach((key, storageClass) -> classOfPack.put(ObjectKeys.idOf(key), storageClass));
      ColdPlan.Result plan = ColdPlan.plan(packsByPoint, coldPoints, classOfPack, coldClass);
      List<String> move = new ArrayList<>(plan.move());
      return Bounded.forEach(move, PARALLELISM, pack -> repo.storage().changeStorageClass(ObjectKeys.pack(pack), coldClass))
          .map(v -> new Report(coldClass, move.size(), plan.alreadyCold().size(), plan.keptWarm().size()));
    }));
  }
}
