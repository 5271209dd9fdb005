package dev.vaultgate.vault.cold;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ColdPlanTest {

  @Test
  void packMovesOnlyWhenEveryPointReferencingItIsCold() {
    Map<String, List<String>> refs = Map.of(
        "old", List.of("p1", "p2", "shared"),
        "new", List.of("shared", "p3"));
    ColdPlan.Result plan = ColdPlan.plan(refs, Set.of("old"), Map.of(), "COLD");
    assertEquals(Set.of("p1", "p2"), plan.move());
    assertEquals(Set.of("shared"), plan.keptWarm(), "a warm point still needs the shared pack");
    assertEquals(Set.of(), plan.alreadyCold());
  }

  @Test
  void packsAlreadyInTheColdClassAreNotMovedAgain() {
    Map<String, List<String>> refs = Map.of("a", List.of("p1", "p2"), "b", List.of("p2"));
    ColdPlan.Result plan = ColdPlan.plan(refs, Set.of("a", "b"), Map.of("p1", "COLD", "p2", "STANDARD"), "COLD");
    assertEquals(Set.of("p2"), plan.move());
    assertEquals(Set.of("p1"), plan.alreadyCold());
  }

  @Test
  void nothingMovesWhenNoPointIsCold() {
    Map<String, List<String>> refs = Map.of("a", List.of("p1"));
    ColdPlan.Result plan = ColdPlan.plan(refs, Set.of(), Map.of(), "DEEP_ARCHIVE");
    assertEquals(Set.of(), plan.move());
    assertEquals(Set.of(), plan.keptWarm());
  }

  @Test
  void coldIdsOfPointsThatAreGoneChangeNothing() {
    Map<String, List<String>> refs = Map.of("a", List.of("p1"));
    ColdPlan.Result plan = ColdPlan.plan(refs, Set.of("deleted-point"), Map.of(), "COLD");
    assertEquals(Set.of(), plan.move());
  }
}
