package dev.vaultgate.coordinator.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LegalHoldPlanTest {
  static final Set<String> A = Set.of("config", "points/a", "refs/a", "packs/1", "packs/2", "index/1");
  static final Set<String> B = Set.of("config", "points/b", "refs/b", "packs/2", "packs/3", "index/3");

  @Test
  void aNewlyHeldPointHoldsEveryObjectItNeeds() {
    LegalHoldPlan plan = LegalHoldPlan.of(List.of(new LegalHoldPlan.Point("a", true, false, A),
        new LegalHoldPlan.Point("b", false, false, Set.of())));
    assertEquals(A, plan.holdOn());
    assertTrue(plan.holdOff().isEmpty());
    assertEquals(List.of("a"), plan.pointsHeld());
  }

  @Test
  void aReleasedPointKeepsTheHoldsOfObjectsAnotherHeldPointNeeds() {
    LegalHoldPlan plan = LegalHoldPlan.of(List.of(new LegalHoldPlan.Point("a", false, true, A),
        new LegalHoldPlan.Point("b", true, true, B)));
    assertEquals(Set.of("points/a", "refs/a", "packs/1", "index/1"), plan.holdOff(), "config and packs/2 stay held for b");
    assertTrue(plan.holdOn().isEmpty(), "b is held already");
    assertEquals(List.of("a"), plan.pointsReleased());
  }

  @Test
  void nothingChangesWhenStorageAlreadyMatches() {
    List<LegalHoldPlan.Point> points = List.of(new LegalHoldPlan.Point("a", true, true, A),
        new LegalHoldPlan.Point("b", false, false, B));
    LegalHoldPlan plan = LegalHoldPlan.of(points);
    assertTrue(plan.holdOn().isEmpty() && plan.holdOff().isEmpty() && plan.pointsHeld().isEmpty()
        && plan.pointsReleased().isEmpty(), plan.toString());
  }
}
