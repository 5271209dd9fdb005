package dev.vaultgate.agent.vsphere;

import static dev.vaultgate.agent.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.ConnectedVcsim;
import dev.vaultgate.agent.testing.VcsimAdmin;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The change feed (WaitForUpdatesEx over a container view) against the simulator. */
@Timeout(120)
class VmChangeFeedTest {
  private static ConnectedVcsim env;

  @BeforeAll
  static void start() throws IOException {
    env = ConnectedVcsim.start(1, "--vms", "2");
  }

  @AfterAll
  static void stop() {
    if (env != null) {
      env.close();
    }
  }

  @Test
  void theFeedReportsEveryVmFirstThenOnlyAChangedAttributeAndAVmThatWentAway() throws Exception {
    VmChangeFeed feed = await(env.vertx, () -> VmChangeFeed.open(env.vertx, ConnectedVcsim.endpoint(env.vcsim)));
    try {
      List<VmInfo> vms = await(env.vertx, () -> env.client.listVms());
      Set<String> all = vms.stream().map(VmInfo::moref).collect(Collectors.toSet());
      assertEquals(all, await(env.vertx, () -> feed.next(1)), "the first answer holds every VM");

      long t0 = System.nanoTime();
      assertEquals(Set.of(), await(env.vertx, () -> feed.next(1)), "nothing changed");
      assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "a wait ends after maxWaitSeconds");

      VmInfo vm = vms.get(0);
      await(env.vertx, () -> env.client.setCustomAttribute(vm, "vaultgate.backup", "now"));
      assertEquals(Set.of(vm.moref()), await(env.vertx, () -> feed.next(5)), "a changed custom attribute");
      await(env.vertx, () -> env.client.setCustomAttribute(vm, "vaultgate.backup", ""));
      assertEquals(Set.of(vm.moref()), await(env.vertx, () -> feed.next(5)));
      assertEquals("", await(env.vertx, () -> env.client.refresh(vm)).customAttributes().get("vaultgate.backup"),
          "the newest value of an attribute wins");

      VmInfo gone = vms.get(1);
      VcsimAdmin.destroyVm(env.vcsim, gone.name());
      assertTrue(await(env.vertx, () -> feed.next(5)).contains(gone.moref()), "a VM that went away");
    } finally {
      await(env.vertx, feed::close);
    }
  }
}
