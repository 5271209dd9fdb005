package dev.vaultgate.vault.cold;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which packs move to cold storage. Packs are shared between recovery points (dedup), so a pack moves only when
 * every point that references it is cold: a warm point never has its data in a colder class because an older point
 * shares a chunk with it. Packs no point references are left to gc; manifests, index segments and the config stay
 * warm (they are small and read whenever the vault is opened or listed).
 */
public final class ColdPlan {
  private ColdPlan() {
  }

  /**
   * What a pass should do.
   *
   * @param move packs to move into the cold class, sorted
   * @param alreadyCold packs every referencing point of which is cold and that are in the cold class already
   * @param keptWarm packs that a cold point references but a warm point references too
   */
  public record Result(Set<String> move, Set<String> alreadyCold, Set<String> keptWarm) {
  }

  /**
   * @param packsByPoint for every live recovery point of the vault, the ids of the packs its chunks lie in
   * @param coldPoints the points whose cold date has come
   * @param classOfPack each pack's current storage class (missing: unknown, treated as warm)
   * @param coldClass the vault's cold storage class
   */
  public static Result plan(Map<String, ? extends Collection<String>> packsByPoint, Set<String> coldPoints,
      Map<String, String> classOfPack, String coldClass) {
    Map<String, Boolean> allCold = new HashMap<>();
    for (Map.Entry<String, ? extends Collection<String>> point : packsByPoint.entrySet()) {
      boolean cold = coldPoints.contains(point.getKey());
      for (String pack : point.getValue()) {
        allCold.merge(pack, cold, Boolean::logicalAnd);
      }
    }
    Set<String> move = new TreeSet<>();
    Set<String> alreadyCold = new TreeSet<>();
    Set<String> keptWarm = new TreeSet<>();
    for (Map.Entry<String, Boolean> pack : allCold.entrySet()) {
      if (!pack.getValue()) {
        if (isReferencedByAny(packsByPoint, coldPoints, pack.getKey())) {
          keptWarm.add(pack.getKey());
        }
      } else if (coldClass.equals(classOfPack.get(pack.getKey()))) {
        alreadyCold.add(pack.getKey());
      } else {
        move.add(pack.getKey());
      }
    }
    return new Result(move, alreadyCold, keptWarm);
  }

  private static boolean isReferencedByAny(Map<String, ? extends Collection<String>> packsByPoint, Set<String> points,
      String pack) {
    for (String point : points) {
      Collection<String> packs = packsByPoint.get(point);
      if (packs != null && packs.contains(pack)) {
        return true;
      }
    }
    return false;
  }
}
