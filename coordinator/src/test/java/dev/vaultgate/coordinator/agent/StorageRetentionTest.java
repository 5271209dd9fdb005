package dev.vaultgate.coordinator.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vaultgate.coordinator.rules.VaultLock;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The Object Lock retention a backup job into a locked vault carries to the gateway. */
class StorageRetentionTest {
  private static final Instant NOW = Instant.parse("2026-01-10T00:00:00Z");

  @Test
  void aVaultWithoutALockAsksForNoRetention() {
    assertNull(AgentApi.storageRetention(null, new JsonObject().put("DeleteAfterDays", 7), NOW));
  }

  @Test
  void theRulesDeleteAfterDaysSetsRetainUntilAndTheLocksBoundsTravelAlong() {
    JsonObject r = AgentApi.storageRetention(new VaultLock(1L, 30L, null), new JsonObject().put("DeleteAfterDays", 7), NOW);
    assertEquals("GOVERNANCE", r.getString("mode"));
    assertEquals(NOW.plus(Duration.ofDays(7)).toString(), r.getString("retainUntil"));
    assertEquals(1L, r.getLong("minRetentionDays"));
    assertEquals(30L, r.getLong("maxRetentionDays"));
  }

  @Test
  void withoutALifecycleTheLocksMinimumIsTheRetention() {
    JsonObject r = AgentApi.storageRetention(new VaultLock(14L, null, null), null, NOW);
    assertEquals(NOW.plus(Duration.ofDays(14)).toString(), r.getString("retainUntil"));
    assertFalse(r.containsKey("maxRetentionDays"));
  }

  @Test
  void aComplianceLockWritesGovernanceDuringItsGraceTimeAndComplianceAfter() {
    VaultLock lock = new VaultLock(1L, 30L, NOW.plus(Duration.ofDays(3)));
    assertEquals("GOVERNANCE", AgentApi.storageRetention(lock, null, NOW).getString("mode"));
    assertEquals("COMPLIANCE", AgentApi.storageRetention(lock, null, NOW.plus(Duration.ofDays(3))).getString("mode"));
  }
}
