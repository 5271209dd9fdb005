package dev.vaultgate.agent.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.gateway.RestoreTestLeftovers.Action;
import dev.vaultgate.agent.gateway.RestoreTestLeftovers.TestState;
import org.junit.jupiter.api.Test;

/** Which scratch VMs a starting gateway deletes (pure rules; the vCenter side is VmRestoreTestLeftoverTest). */
class RestoreTestLeftoversTest {

  static final String JOB = "0AF1B2C3-1111-4000-8000-000000000001";

  static TestState test(String status, boolean mine, String deletion) {
    return new TestState(JOB, status, mine, mine ? "sgw-MINE" : "sgw-OTHER", deletion);
  }

  @Test
  void aScratchVmIsNamedForItsJob() {
    assertEquals(JOB, RestoreTestLeftovers.jobOf(RestoreTestRunner.VM_PREFIX + JOB.toLowerCase()));
    assertNull(RestoreTestLeftovers.jobOf("DC0_H0_VM0"));
    assertNull(RestoreTestLeftovers.jobOf(RestoreTestRunner.VM_PREFIX));
  }

  @Test
  void anEndedTestOfThisGatewayWithoutItsCleanUpIsDestroyedAndReported() {
    assertEquals(Action.DESTROY_AND_REPORT, RestoreTestLeftovers.decide(JOB, test("COMPLETED", true, null), false).action());
    assertEquals(Action.DESTROY_AND_REPORT, RestoreTestLeftovers.decide(JOB, test("COMPLETED", true, "DELETING"), false).action());
    assertEquals(Action.DESTROY_AND_REPORT, RestoreTestLeftovers.decide(JOB, test("FAILED", true, null), false).action());
    assertEquals(Action.DESTROY_AND_REPORT, RestoreTestLeftovers.decide(JOB, test("COMPLETED", true, "FAILED"), false).action(),
        "a clean-up that failed is tried again");
  }

  @Test
  void aTestWhoseRestoreRunsAgainOrWhoseDeletionIsInIsDestroyedWithoutAReport() {
    assertEquals(Action.DESTROY, RestoreTestLeftovers.decide(JOB, test("RUNNING", true, null), false).action());
    assertEquals(Action.DESTROY, RestoreTestLeftovers.decide(JOB, test("PENDING", true, null), false).action());
    assertEquals(Action.DESTROY, RestoreTestLeftovers.decide(JOB, test("COMPLETED", true, "SUCCESSFUL"), false).action());
  }

  @Test
  void unknownJobsOtherGatewaysTestsAndTestsRunningHereAreLeftAlone() {
    var unknown = RestoreTestLeftovers.decide(JOB, null, false);
    assertEquals(Action.LEAVE, unknown.action());
    assertTrue(unknown.why().contains("unknown or not a restore test"), unknown.why());
    var other = RestoreTestLeftovers.decide(JOB, test("COMPLETED", false, null), false);
    assertEquals(Action.LEAVE, other.action());
    assertTrue(other.why().contains("gateway sgw-OTHER"), other.why());
    assertEquals(Action.LEAVE, RestoreTestLeftovers.decide(JOB, test("RUNNING", true, null), true).action());
  }
}
