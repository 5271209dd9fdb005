package dev.vaultgate.coordinator.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which objects of one vault get an S3 legal hold and which lose it, from the points the API's legal holds cover
 * now ({@code held}) and those whose objects storage holds already ({@code applied}). An object is released only
 * when no point still held needs it: two points share packs, the config, index segments. Pure rules.
 */
public record LegalHoldPlan(Set<String> holdOn, Set<String> holdOff, List<String> pointsHeld, List<String> pointsReleased) {

  /**
   * A point of the vault.
   *
   * @param held    an ACTIVE legal hold's selection matches it
   * @param applied storage already holds its objects
   * @param objects every object it needs (manifests, reference lists and what they name); may be empty for a point
   *                that is neither held nor applied
   */
  public record Point(String arn, boolean held, boolean applied, Set<String> objects) {
  }

  public static LegalHoldPlan of(List<Point> points) {
    Set<String> on = new TreeSet<>();
    Set<String> released = new TreeSet<>();
    Set<String> stillNeeded = new TreeSet<>();
    List<String> pointsHeld = new ArrayList<>();
    List<String> pointsReleased = new ArrayList<>();
    for (Point p : points) {
      if (p.held()) {
        stillNeeded.addAll(p.objects());
        if (!p.applied()) {
          on.addAll(p.objects());
          pointsHeld.add(p.arn());
        }
      } else if (p.applied()) {
        released.addAll(p.objects());
        pointsReleased.add(p.arn());
      }
    }
    released.removeAll(stillNeeded);
    return new LegalHoldPlan(on, released, pointsHeld, pointsReleased);
  }
}
