package dev.vaultgate.coordinator.restoretest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.restoretest.RestoreTestRules.Candidate;
import dev.vaultgate.coordinator.restoretest.RestoreTestRules.PointSelection;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RestoreTestRulesTest {

  static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  static final String VM = "arn:aws:backup-gateway:us-east-1:111111111111:vm/vm-1";
  static final String PROD = "arn:aws:backup:us-east-1:111111111111:backup-vault:prod";
  static final String TEST = "arn:aws:backup:us-east-1:111111111111:backup-vault:test";

  static Candidate point(String id, String vaultArn, Duration age, String status) {
    return new Candidate("arn:rp:" + id, VM, vaultArn.substring(vaultArn.lastIndexOf(':') + 1), vaultArn,
        NOW.minus(age), status);
  }

  static final List<Candidate> POINTS = List.of(
      point("old", PROD, Duration.ofDays(10), "COMPLETED"),
      point("recent", PROD, Duration.ofDays(2), "COMPLETED"),
      point("newest-failed", PROD, Duration.ofHours(1), "FAILED"),
      point("in-test", TEST, Duration.ofHours(2), "COMPLETED"),
      point("yesterday", PROD, Duration.ofDays(1), "COMPLETED"));

  @Test
  void latestWithinWindowTakesTheNewestCompletedPointOfAnIncludedVault() {
    var s = new PointSelection("LATEST_WITHIN_WINDOW", List.of(PROD), List.of(), 7);
    assertEquals("arn:rp:yesterday", RestoreTestRules.pick(POINTS, VM, s, NOW, new Random(1)).orElseThrow().arn());
    var all = new PointSelection("LATEST_WITHIN_WINDOW", List.of("*"), List.of(TEST), 7);
    assertEquals("arn:rp:yesterday", RestoreTestRules.pick(POINTS, VM, all, NOW, new Random(1)).orElseThrow().arn());
    var any = new PointSelection("LATEST_WITHIN_WINDOW", List.of("*"), List.of(), 7);
    assertEquals("arn:rp:in-test", RestoreTestRules.pick(POINTS, VM, any, NOW, new Random(1)).orElseThrow().arn());
  }

  @Test
  void randomWithinWindowPicksOnlyPointsInsideTheWindow() {
    var s = new PointSelection("RANDOM_WITHIN_WINDOW", List.of(PROD), List.of(), 7);
    Set<String> seen = new HashSet<>();
    Random random = new Random(42);
    for (int i = 0; i < 200; i++) seen.add(RestoreTestRules.pick(POINTS, VM, s, NOW, random).orElseThrow().arn());
    assertEquals(Set.of("arn:rp:recent", "arn:rp:yesterday"), seen);
  }

  @Test
  void noPointInTheWindowPicksNothing() {
    var s = new PointSelection("LATEST_WITHIN_WINDOW", List.of(PROD), List.of(), 1);
    assertTrue(RestoreTestRules.pick(POINTS.subList(0, 3), VM, s, NOW, new Random()).isEmpty());
    assertThrows(IllegalArgumentException.class, () -> new PointSelection("OLDEST", List.of("*"), List.of(), 7));
    assertThrows(IllegalArgumentException.class, () -> new PointSelection("LATEST_WITHIN_WINDOW", List.of(), List.of(), 7));
    assertThrows(IllegalArgumentException.class, () -> new PointSelection("LATEST_WITHIN_WINDOW", List.of("*"), List.of(), 0));
  }

  @Test
  void selectionTakesResourcesByTypeArnAndTags() {
    assertTrue(RestoreTestRules.selects(VM, "VirtualMachine", Map.of("env", "prod"), "VirtualMachine", List.of("*"),
        Map.of("aws:ResourceTag/env", "prod"), Map.of()));
    assertTrue(!RestoreTestRules.selects(VM, "VirtualMachine", Map.of("env", "dev"), "VirtualMachine", List.of("*"),
        Map.of("aws:ResourceTag/env", "prod"), Map.of()));
    assertTrue(!RestoreTestRules.selects(VM, "VirtualMachine", Map.of("env", "prod"), "VirtualMachine", List.of("*"),
        Map.of(), Map.of("aws:ResourceTag/env", "prod")));
    assertTrue(!RestoreTestRules.selects(VM, "VirtualMachine", Map.of(), "EBS", List.of("*"), Map.of(), Map.of()));
    assertTrue(!RestoreTestRules.selects(VM, "VirtualMachine", Map.of(), "VirtualMachine", List.of("arn:other"),
        Map.of(), Map.of()));
  }

  @Test
  void planIsDueAtItsLatestTickWhileTheStartWindowIsOpen() {
    Instant anchor = Instant.parse("2026-11-01T00:00:00Z");
    String daily = "cron(0 3 ? * * *)";
    assertEquals(Instant.parse("2026-11-23T03:00:00Z"),
        RestoreTestRules.latestDue(daily, "UTC", anchor, anchor, NOW, 24));
    assertNull(RestoreTestRules.latestDue(daily, "UTC", anchor, anchor, NOW, 8), "window of 8 h closed at 11:00");
    assertNull(RestoreTestRules.latestDue(daily, "UTC", anchor, Instant.parse("2026-11-23T03:00:00Z"), NOW, 24),
        "already run");
  }
}
