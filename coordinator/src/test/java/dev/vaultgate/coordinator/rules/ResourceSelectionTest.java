package dev.vaultgate.coordinator.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.rules.ResourceSelection.Operator;
import dev.vaultgate.coordinator.rules.ResourceSelection.TagCondition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourceSelectionTest {

  static final String VM1 = "arn:aws:backup-gateway:us-east-1:000000000000:vm/vm-1";
  static final String VM2 = "arn:aws:backup-gateway:us-east-1:000000000000:vm/db-2";
  static final Map<String, String> PROD = Map.of("env", "prod", "tier", "db-primary");
  static final Map<String, String> DEV = Map.of("env", "dev");

  static ResourceSelection of(List<String> resources, List<String> not, List<TagCondition> tags, List<TagCondition> conds) {
    return new ResourceSelection(resources, not, tags, conds);
  }

  @Test
  void resourcesMatchByArnWithWildcards() {
    ResourceSelection s = of(List.of("arn:aws:backup-gateway:*:*:vm/vm-*"), List.of(), List.of(), List.of());
    assertTrue(s.matches(VM1, Map.of()));
    assertFalse(s.matches(VM2, Map.of()));
    assertTrue(of(List.of("*"), List.of(), List.of(), List.of()).matches(VM2, Map.of()));
    assertTrue(of(List.of("arn:aws:backup-gateway:us-east-1:000000000000:vm/vm-?"), List.of(), List.of(), List.of())
        .matches(VM1, Map.of()));
    assertFalse(of(List.of(VM1.replace("vm-1", "vm.1")), List.of(), List.of(), List.of()).matches(VM1, Map.of()),
        "a dot is a dot, not a regex");
  }

  @Test
  void notResourcesExcludeWhatResourcesChose() {
    ResourceSelection s = of(List.of("*"), List.of("*:vm/db-*"), List.of(), List.of());
    assertTrue(s.matches(VM1, Map.of()));
    assertFalse(s.matches(VM2, Map.of()));
  }

  @Test
  void listOfTagsMatchesWhenAnyTagMatchesAndAddsToResources() {
    ResourceSelection s = of(List.of(), List.of(), List.of(
        new TagCondition(Operator.STRING_EQUALS, "env", "prod"),
        new TagCondition(Operator.STRING_EQUALS, "aws:ResourceTag/backup", "yes")), List.of());
    assertTrue(s.matches(VM1, PROD));
    assertTrue(s.matches(VM1, Map.of("backup", "yes")));
    assertFalse(s.matches(VM1, DEV));
    assertTrue(of(List.of(VM2), List.of(), List.of(new TagCondition(Operator.STRING_EQUALS, "env", "prod")), List.of())
        .matches(VM2, DEV), "Resources or ListOfTags");
  }

  @Test
  void conditionsMustAllHold() {
    ResourceSelection s = of(List.of("*"), List.of(), List.of(), List.of(
        new TagCondition(Operator.STRING_EQUALS, "aws:ResourceTag/env", "prod"),
        new TagCondition(Operator.STRING_LIKE, "aws:ResourceTag/tier", "db-*"),
        new TagCondition(Operator.STRING_NOT_EQUALS, "aws:ResourceTag/legacy", "true"),
        new TagCondition(Operator.STRING_NOT_LIKE, "aws:ResourceTag/tier", "*-replica")));
    assertTrue(s.matches(VM1, PROD));
    assertFalse(s.matches(VM1, Map.of("env", "prod", "tier", "db-replica")));
    assertFalse(s.matches(VM1, Map.of("env", "prod", "tier", "db-primary", "legacy", "true")));
    assertFalse(s.matches(VM1, Map.of("env", "prod")), "StringLike needs the tag");
  }

  @Test
  void conditionsAloneRangeOverEveryResourceAndAnEmptySelectionChoosesNothing() {
    ResourceSelection s = of(List.of(), List.of(), List.of(), List.of(new TagCondition(Operator.STRING_EQUALS, "env", "dev")));
    assertTrue(s.matches(VM2, DEV));
    assertFalse(s.matches(VM2, PROD));
    assertFalse(of(List.of(), List.of(), List.of(), List.of()).matches(VM1, PROD));
  }

  @Test
  void explicitResourcesAreThoseWithoutWildcards() {
    assertEquals(List.of(VM1), of(List.of(VM1, "*:vm/db-*"), List.of(), List.of(), List.of()).explicitResources());
  }
}
