package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.SwitchableProxy;
import dev.vaultgate.agent.vsphere.Thumbprints;
import dev.vaultgate.coordinator.auth.AccessKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.backupgateway.model.BackupGatewayException;
import software.amazon.awssdk.services.backupgateway.model.HypervisorDetails;
import software.amazon.awssdk.services.backupgateway.model.HypervisorState;
import software.amazon.awssdk.services.backupgateway.model.VirtualMachine;

/**
 * The hypervisor a gateway works with comes from the backup-gateway API (ImportHypervisorConfiguration,
 * AssociateGatewayToServer) through the heartbeat; the gateway reports what it sees of it. Each test is its own
 * account with its own gateway, against one simulator.
 */
@Timeout(120)
class GatewayHypervisorTest {
  @TempDir
  static Path dir;
  private static GatewayTestbed bed;

  @BeforeAll
  static void start() throws IOException {
    bed = GatewayTestbed.start(dir, null, "--vms", "1");
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  /** A fresh account with a gateway whose vCenter comes from the coordinator. */
  private record Site(BackupGatewayClient api, GatewayAgent agent, GatewayConfig config) implements AutoCloseable {
    String importAndAssociate(String host, String password) {
      String arn = api.importHypervisorConfiguration(r -> r.name("vcenter").host(host).username(bed.vc.vcsim.user()).password(password))
          .hypervisorArn();
      api.associateGatewayToServer(r -> r.gatewayArn(agent.gatewayArn()).serverArn(arn));
      return arn;
    }

    HypervisorDetails hypervisor(String arn) {
      return api.getHypervisor(r -> r.hypervisorArn(arn)).hypervisor();
    }

    HypervisorDetails awaitState(String arn, HypervisorState state) {
      waitFor("hypervisor " + arn + " to be " + state, Duration.ofSeconds(30), () -> hypervisor(arn).state() == state);
      return hypervisor(arn);
    }

    @Override
    public void close() {
      await(bed.vc.vertx, agent::close);
      api.close();
    }
  }

  private static Site site(Map<String, String> thumbprints) throws IOException {
    AccessKey key = bed.newAccount();
    GatewayConfig config = bed.config(key, 2, false).withThumbprints(thumbprints);
    GatewayAgent agent = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config));
    return new Site(bed.gatewayApi(key), agent, config);
  }

  private static String host() {
    return bed.vc.vcsim.hostPort();
  }

  @Test
  void anAssociatedHypervisorGoesOnlineItsVmsAreListedAndItsCertificateIsPinned() throws IOException {
    try (Site s = site(Map.of())) {
      String arn = s.importAndAssociate(host(), bed.vc.vcsim.password());

      s.awaitState(arn, HypervisorState.ONLINE);
      waitFor("the VMs", Duration.ofSeconds(20), () -> !s.api().listVirtualMachines(r -> r.hypervisorArn(arn)).virtualMachines().isEmpty());
      List<VirtualMachine> vms = s.api().listVirtualMachines(r -> r.hypervisorArn(arn)).virtualMachines();
      VirtualMachine vm0 = vms.stream().filter(v -> v.name().equals("DC0_H0_VM0")).findFirst().orElseThrow();
      assertTrue(arn.endsWith(vm0.hypervisorId()), vm0.hypervisorId() + " is the id of " + arn);
      assertEquals("DC0_H0", vm0.hostName());
      assertEquals("/DC0/vm/DC0_H0_VM0", vm0.path());
      assertEquals(bed.arn("DC0_H0_VM0").replace(bed.key.accountId(), s.agent().accountId()), vm0.resourceArn());
      Properties pins = new Properties();
      try (var in = Files.newBufferedReader(s.config().stateDir().resolve("vcenter-thumbprints.properties"))) {
        pins.load(in);
      }
      assertEquals(Thumbprints.normalize(bed.vc.vcsim.thumbprintSha256()), pins.getProperty(host()), "the first certificate seen is pinned");
    }
  }

  @Test
  void wrongCredentialsAreAnErrorWithTheReasonAndRightOnesBringItOnline() throws IOException {
    try (Site s = site(Map.of())) {
      String arn = s.importAndAssociate(host(), "not-the-password");

      HypervisorDetails h = s.awaitState(arn, HypervisorState.ERROR);
      assertEquals("cannot log in to vCenter " + bed.vc.vcsim.url() + " as " + bed.vc.vcsim.user()
          + ": the user name or password is wrong", h.latestMetadataSyncStatusMessage());

      s.api().updateHypervisor(r -> r.hypervisorArn(arn).password(bed.vc.vcsim.password()));
      s.awaitState(arn, HypervisorState.ONLINE);
    }
  }

  @Test
  void aCertificateOtherThanThePinnedOneIsAnError() throws IOException {
    String other = "AB:".repeat(31) + "AB";
    try (Site s = site(Map.of(host(), other))) {
      String arn = s.importAndAssociate(host(), bed.vc.vcsim.password());

      HypervisorDetails h = s.awaitState(arn, HypervisorState.ERROR);
      assertTrue(h.latestMetadataSyncStatusMessage().startsWith("vCenter certificate changed: "), h.latestMetadataSyncStatusMessage());
      assertTrue(h.latestMetadataSyncStatusMessage().contains(Thumbprints.normalize(bed.vc.vcsim.thumbprintSha256())),
          "names the certificate presented: " + h.latestMetadataSyncStatusMessage());
    }
  }

  @Test
  void anUnreachableVcenterIsAnError() throws IOException {
    try (Site s = site(Map.of())) {
      String arn = s.importAndAssociate("127.0.0.1:1", "x");

      HypervisorDetails h = s.awaitState(arn, HypervisorState.ERROR);
      assertTrue(h.latestMetadataSyncStatusMessage().startsWith("cannot connect to vCenter 127.0.0.1:1: unreachable ("),
          h.latestMetadataSyncStatusMessage());
    }
  }

  @Test
  void aVcenterThatStopsAnsweringIsAnErrorUntilItAnswersAgain() throws IOException {
    int vcsimPort = Integer.parseInt(host().substring(host().lastIndexOf(':') + 1));
    try (SwitchableProxy link = SwitchableProxy.start(bed.coordinatorVertx, "127.0.0.1", vcsimPort);
         Site s = site(Map.of())) {
      String arn = s.importAndAssociate("127.0.0.1:" + link.port(), bed.vc.vcsim.password());
      s.awaitState(arn, HypervisorState.ONLINE);

      link.cut();
      HypervisorDetails down = s.awaitState(arn, HypervisorState.ERROR);
      assertTrue(down.latestMetadataSyncStatusMessage().contains("127.0.0.1:" + link.port()), down.latestMetadataSyncStatusMessage());

      link.restore();
      s.awaitState(arn, HypervisorState.ONLINE);
    }
  }

  @Test
  void configurationTestsAreAnsweredByTheGateway() throws IOException {
    try (Site s = site(Map.of())) {
      s.api().testHypervisorConfiguration(r -> r.gatewayArn(s.agent().gatewayArn()).host(host()).username(bed.vc.vcsim.user())
          .password(bed.vc.vcsim.password()));

      BackupGatewayException e = assertThrows(BackupGatewayException.class, () -> s.api().testHypervisorConfiguration(r -> r
          .gatewayArn(s.agent().gatewayArn()).host(host()).username(bed.vc.vcsim.user()).password("wrong")));
      assertTrue(e.getMessage().contains("the user name or password is wrong"), e.getMessage());
    }
  }
}
