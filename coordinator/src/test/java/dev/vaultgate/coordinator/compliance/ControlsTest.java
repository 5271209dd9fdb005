package dev.vaultgate.coordinator.compliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.compliance.ComplianceState.Plan;
import dev.vaultgate.coordinator.compliance.ComplianceState.Point;
import dev.vaultgate.coordinator.compliance.ComplianceState.Resource;
import dev.vaultgate.coordinator.compliance.ComplianceState.Restore;
import dev.vaultgate.coordinator.compliance.ComplianceState.Rule;
import dev.vaultgate.coordinator.compliance.ComplianceState.Vault;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Each control over a small hand-built state: one resource that passes, one that does not. */
class ControlsTest {

  static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  static final String ACCOUNT = "111111111111";
  static final String GOOD = "arn:aws:backup-gateway:us-east-1:111111111111:vm/vm-good";
  static final String BAD = "arn:aws:backup-gateway:us-east-1:111111111111:vm/vm-bad";

  static ComplianceState state() {
    return new ComplianceState(NOW, "us-east-1", ACCOUNT,
        List.of(new Resource(GOOD, "VirtualMachine", Map.of("tier", "gold")), new Resource(BAD, "VirtualMachine", Map.of())),
        List.of(new Plan("p1", "arn:plan:daily", "daily", List.of(new Rule("daily", Duration.ofDays(1), 35L))),
            new Plan("p2", "arn:plan:weekly", "weekly", List.of(new Rule("weekly", Duration.ofDays(7), 90L)))),
        Map.of(GOOD, List.of("p1")),
        List.of(new Vault("locked", "arn:vault:locked", true, 30L, 365L, true),
            new Vault("open", "arn:vault:open", false, null, null, false)),
        List.of(point("g1", GOOD, "locked", "us-east-1", ACCOUNT, NOW.minus(Duration.ofHours(3)), true, 35L),
            point("g2", GOOD, "locked", "eu-west-1", ACCOUNT, NOW.minus(Duration.ofHours(2)), true, 35L),
            point("g3", GOOD, "locked", "us-east-1", "222222222222", NOW.minus(Duration.ofHours(2)), true, 35L),
            point("b1", BAD, "open", "us-east-1", ACCOUNT, NOW.minus(Duration.ofDays(3)), false, 7L)),
        List.of(new Restore("r1", GOOD, NOW.minus(Duration.ofMinutes(90)), NOW.minus(Duration.ofMinutes(60))),
            new Restore("r2", BAD, NOW.minus(Duration.ofHours(20)), NOW.minus(Duration.ofHours(5)))));
  }

  static Point point(String id, String resource, String vault, String region, String account, Instant at,
      boolean encrypted, Long days) {
    return new Point("arn:rp:" + id, resource, vault, region, account, at, encrypted, days, "COMPLETED");
  }

  static Map<String, String> statuses(String control, Map<String, String> params) {
    return Controls.evaluate(control, params, ControlScope.ALL, state()).evaluations().stream()
        .collect(Collectors.toMap(ControlResult.Evaluation::resourceArn, ControlResult.Evaluation::status));
  }

  @Test
  void resourceNoPlanSelectsIsNotProtected() {
    assertEquals(Map.of(GOOD, "COMPLIANT", BAD, "NON_COMPLIANT"), statuses(Controls.PROTECTED_BY_BACKUP_PLAN, Map.of()));
  }

  @Test
  void planFrequencyAndRetentionNeedsOneRuleMeetingBoth() {
    assertEquals(Map.of("arn:plan:daily", "COMPLIANT", "arn:plan:weekly", "NON_COMPLIANT"),
        statuses(Controls.PLAN_MIN_FREQUENCY_AND_RETENTION, Map.of()));
    assertEquals(Map.of("arn:plan:daily", "NON_COMPLIANT", "arn:plan:weekly", "NON_COMPLIANT"),
        statuses(Controls.PLAN_MIN_FREQUENCY_AND_RETENTION, Map.of("requiredFrequencyUnit", "hours",
            "requiredFrequencyValue", "12")));
    assertEquals("NON_COMPLIANT", statuses(Controls.PLAN_MIN_FREQUENCY_AND_RETENTION,
        Map.of("requiredRetentionDays", "36")).get("arn:plan:daily"));
  }

  @Test
  void unencryptedPointIsNonCompliantAndOtherAccountsCopiesAreNotJudged() {
    Map<String, String> s = statuses(Controls.POINT_ENCRYPTED, Map.of());
    assertEquals(Map.of("arn:rp:g1", "COMPLIANT", "arn:rp:g2", "COMPLIANT", "arn:rp:b1", "NON_COMPLIANT"), s);
  }

  @Test
  void pointRetainedLessThanRequiredIsNonCompliant() {
    assertEquals("COMPLIANT", statuses(Controls.POINT_MINIMUM_RETENTION, Map.of()).get("arn:rp:g1"));
    assertEquals("NON_COMPLIANT", statuses(Controls.POINT_MINIMUM_RETENTION, Map.of("requiredRetentionDays", "36")).get("arn:rp:g1"));
    assertEquals("COMPLIANT", statuses(Controls.POINT_MINIMUM_RETENTION, Map.of("requiredRetentionDays", "30")).get("arn:rp:g1"));
    assertEquals("NON_COMPLIANT", statuses(Controls.POINT_MINIMUM_RETENTION, Map.of("requiredRetentionDays", "30")).get("arn:rp:b1"));
  }

  @Test
  void vaultWhosePolicyAllowsDeletionIsNonCompliant() {
    assertEquals(Map.of("arn:vault:locked", "COMPLIANT", "arn:vault:open", "NON_COMPLIANT"),
        statuses(Controls.POINT_MANUAL_DELETION_DISABLED, Map.of()));
  }

  @Test
  void vaultLockControlChecksTheLockLimits() {
    assertEquals(Map.of(GOOD, "COMPLIANT", BAD, "NON_COMPLIANT"), statuses(Controls.PROTECTED_BY_VAULT_LOCK, Map.of()));
    assertEquals("NON_COMPLIANT", statuses(Controls.PROTECTED_BY_VAULT_LOCK, Map.of("minRetentionDays", "60")).get(GOOD));
    assertEquals("COMPLIANT", statuses(Controls.PROTECTED_BY_VAULT_LOCK,
        Map.of("minRetentionDays", "7", "maxRetentionDays", "400")).get(GOOD));
  }

  @Test
  void lastRecoveryPointOlderThanTheAgeIsNonCompliant() {
    assertEquals(Map.of(GOOD, "COMPLIANT", BAD, "NON_COMPLIANT"), statuses(Controls.LAST_POINT_CREATED, Map.of()));
    assertEquals("NON_COMPLIANT", statuses(Controls.LAST_POINT_CREATED,
        Map.of("recoveryPointAgeUnit", "hours", "recoveryPointAgeValue", "1")).get(GOOD));
  }

  @Test
  void crossRegionAndCrossAccountNeedACopyThere() {
    assertEquals(Map.of(GOOD, "COMPLIANT", BAD, "NON_COMPLIANT"),
        statuses(Controls.PROTECTED_BY_CROSS_REGION, Map.of("crossRegionList", "eu-west-1")));
    assertEquals("NON_COMPLIANT", statuses(Controls.PROTECTED_BY_CROSS_REGION, Map.of("crossRegionList", "ap-south-1")).get(GOOD));
    assertEquals("NON_COMPLIANT", statuses(Controls.PROTECTED_BY_CROSS_REGION,
        Map.of("crossRegionList", "eu-west-1", "recoveryPointAgeUnit", "hours", "recoveryPointAgeValue", "1")).get(GOOD));
    assertEquals(Map.of(GOOD, "COMPLIANT", BAD, "NON_COMPLIANT"),
        statuses(Controls.PROTECTED_BY_CROSS_ACCOUNT, Map.of("crossAccountList", "222222222222")));
  }

  @Test
  void restoreSlowerThanTheTargetIsNonCompliant() {
    assertEquals(Map.of(GOOD, "COMPLIANT", BAD, "NON_COMPLIANT"), statuses(Controls.RESTORE_TIME_MEETS_TARGET, Map.of()));
    assertEquals("NON_COMPLIANT", statuses(Controls.RESTORE_TIME_MEETS_TARGET, Map.of("maxRestoreTime", "20")).get(GOOD));
  }

  @Test
  void scopeLimitsTheResourcesEvaluated() {
    var result = Controls.evaluate(Controls.PROTECTED_BY_BACKUP_PLAN, Map.of(),
        new ControlScope(List.of(), List.of(), Map.of("tier", "gold")), state());
    assertEquals(1, result.evaluations().size());
    assertEquals("COMPLIANT", result.status());
    assertEquals("NON_COMPLIANT", Controls.evaluate(Controls.PROTECTED_BY_BACKUP_PLAN, Map.of(),
        new ControlScope(List.of("vm-bad"), List.of(), Map.of()), state()).status());
  }

  @Test
  void unknownControlsAndParametersAreRefusedInOneLine() {
    var e = assertThrows(IllegalArgumentException.class, () -> Controls.validate("BACKUP_NOPE", Map.of()));
    assertTrue(e.getMessage().startsWith("Unknown control name BACKUP_NOPE"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Controls.validate(Controls.POINT_ENCRYPTED, Map.of("requiredRetentionDays", "3")));
    assertTrue(e.getMessage().contains("has no input parameter requiredRetentionDays"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Controls.validate(Controls.POINT_MINIMUM_RETENTION,
        Map.of("requiredRetentionDays", "-1")));
    assertThrows(IllegalArgumentException.class, () -> Controls.validate(Controls.PLAN_MIN_FREQUENCY_AND_RETENTION,
        Map.of("requiredFrequencyUnit", "hours", "requiredFrequencyValue", "5")));
    assertThrows(IllegalArgumentException.class, () -> Controls.validate(Controls.PROTECTED_BY_CROSS_REGION, Map.of()));
    assertThrows(IllegalArgumentException.class, () -> Controls.validate(Controls.PROTECTED_BY_VAULT_LOCK,
        Map.of("minRetentionDays", "30", "maxRetentionDays", "7")));
    for (String name : Controls.names()) {
      if (!name.contains("CROSS")) Controls.validate(name, Map.of());
    }
  }
}
