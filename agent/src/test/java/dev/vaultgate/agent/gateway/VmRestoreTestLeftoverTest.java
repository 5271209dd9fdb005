package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.backup.VmRecoveryPoint;
import dev.vaultgate.agent.backup.VmRecoveryPoints;
import dev.vaultgate.agent.restore.VmRestore;
import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.agent.vsphere.VmInfo;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backup.model.BackupJobState;

/**
 * A gateway that stopped between a VM restore test's restore and its clean-up, against the vCenter simulator: a
 * gateway leases the test, restores the point as the scratch VM {@code vaultgate-restore-test-<job>} (powered on,
 * as the test runner does), completes the job and reports VALIDATING, and stops there. When that gateway starts
 * again (same identity, as an appliance does) it finds the VM, destroys it with its folder and reports the deletion
 * SUCCESSFUL; scratch-named VMs of an unknown job and of an ordinary restore job are left alone.
 */
@Timeout(240)
class VmRestoreTestLeftoverTest {

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

  /** A scratch-named VM restored from the point, as a restore test makes it (the runner's options). */
  private VmInfo restoreAs(String vmName, Path masterKey, String location, String pointArn, boolean powerOn) throws IOException {
    Path staging = Files.createDirectories(dir.resolve("staging"));
    VaultAccess vaults = new VaultAccess(bed.vc.vertx, masterKey);
    VaultAccess.Opened opened = await(bed.vc.vertx, () -> vaults.open(location));
    try {
      VmRecoveryPoint point = await(bed.vc.vertx, () -> VmRecoveryPoints.withLabel(opened.repo(),
          BackupJobRunner.LABEL_RECOVERY_POINT, pointArn));
      return await(bed.vc.vertx, () -> VmRestore.toVsphere(bed.vc.client, opened.repo(), point,
          VmRestore.Options.named(vmName, staging).withPowerOn(powerOn))).vm();
    } finally {
      opened.close();
    }
  }

  @Test
  void aRestartedGatewayDestroysTheScratchVmItsStopLeftReportsTheDeletionAndLeavesOtherVmsAlone() throws Exception {
    String source = "DC0_H0_VM0";
    TestDisks.writeRandomBlocks(bed.flatFile(source), 53, 0, 5, 9);
    String backupJob = bed.startBackup(source);
    waitFor("the backup", Duration.ofSeconds(90), () -> {
      BackupJobState s = bed.backup.describeBackupJob(r -> r.backupJobId(backupJob)).state();
      return s != BackupJobState.CREATED && s != BackupJobState.RUNNING && s != BackupJobState.PENDING;
    });
    var backup = bed.backup.describeBackupJob(r -> r.backupJobId(backupJob));
    assertEquals(BackupJobState.COMPLETED, backup.state(), backup.statusMessage());
    Path masterKey = bed.agent.config().masterKeyFile();
    await(bed.vc.vertx, bed.agent::close); // the gateway that backed up leases nothing from here on
    bed.agent = null;

    VmRestoreTestingTest.boto3(bed, "plan", "left", "VirtualMachine", bed.arn(source));
    Instant tick = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofHours(3));
    if (!tick.isAfter(Instant.now())) tick = tick.plus(Duration.ofDays(1));
    Instant at = tick.plusSeconds(10);
    List<String> started = await(bed.coordinatorVertx, () -> bed.coordinator.restoreTests(new Random(9)).tick(at)).jobsStarted();
    assertEquals(1, started.size(), started.toString());
    String jobId = started.get(0);
    String vmName = RestoreTestRunner.VM_PREFIX + jobId.toLowerCase(Locale.ROOT);

    // the gateway that runs the test: it leases it, restores the scratch VM, completes, starts validating ... and stops
    CoordinatorClient client = new CoordinatorClient(bed.vc.vertx, java.net.URI.create("http://127.0.0.1:" + bed.proxy.port()),
        GatewayTestbed.REGION, Duration.ofSeconds(30));
    CoordinatorClient.Registration reg = await(bed.vc.vertx, () -> client.register("site-b", "test", bed.key.accessKeyId(),
        bed.key.secretAccessKey()));
    // it reaches the VM (a VM's restores go to the gateway whose inventory has it)
    String sourceArn = bed.arn(source);
    await(bed.vc.vertx, () -> client.post("/inventory", new JsonObject().put("resources", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("resourceArn", sourceArn).put("resourceType", "VirtualMachine").put("name", source)))));
    JsonObject leased = await(bed.vc.vertx, () -> client.post("/restore-jobs/lease", new JsonObject().put("leaseSeconds", 300)))
        .getJsonObject("job");
    assertEquals(jobId, leased.getString("jobId"));
    assertNotNull(leased.getJsonObject("restoreTest"), leased.encode());
    String location = leased.getString("vaultLocation");
    String pointArn = leased.getString("recoveryPointArn");
    VmInfo scratch = restoreAs(vmName, masterKey, location, pointArn, true);
    assertTrue(scratch.poweredOn());
    await(bed.vc.vertx, () -> client.post("/restore-jobs/" + jobId + "/complete", new JsonObject().put("createdResourceArn",
        VmResources.arn(GatewayTestbed.REGION, bed.key.accountId(), scratch.instanceUuid()))));
    await(bed.vc.vertx, () -> client.post("/restore-jobs/" + jobId + "/validation", new JsonObject().put("status", "VALIDATING")));
    assertTrue(Files.exists(bed.vc.vcsim.datastoreFile(vmName)), "the scratch VM's folder is on the datastore");

    // VMs with scratch names that are not this gateway's tests: an unknown job, an ordinary restore (ended)
    String unknownVm = RestoreTestRunner.VM_PREFIX + UUID.randomUUID();
    restoreAs(unknownVm, masterKey, location, pointArn, false);
    String ordinary = bed.backup.startRestoreJob(r -> r.recoveryPointArn(pointArn).iamRoleArn(bed.role)
        .metadata(Map.of("VMName", "never-restored"))).restoreJobId();
    assertEquals(ordinary, await(bed.vc.vertx, () -> client.post("/restore-jobs/lease", new JsonObject()))
        .getJsonObject("job").getString("jobId"));
    await(bed.vc.vertx, () -> client.post("/restore-jobs/" + ordinary + "/fail", new JsonObject().put("message", "not run")));
    String ordinaryVm = RestoreTestRunner.VM_PREFIX + ordinary.toLowerCase(Locale.ROOT);
    restoreAs(ordinaryVm, masterKey, location, pointArn, false);

    // the same gateway starts again (an appliance keeps its identity across restarts)
    GatewayConfig config = bed.config(1, true);
    GatewayAgent[] running = {await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config, client,
        new GatewayAgent.Joined(reg.gatewayId(), reg.gatewayArn()), null))};
    try {
      JsonObject d = deletionOf(jobId);
      assertEquals("SUCCESSFUL", d.getString("DeletionStatus"), d.encode());
      assertTrue(d.getString("DeletionStatusMessage").startsWith("destroyed VM '" + vmName + "' (" + scratch.moref() + ")"),
          d.encode());
      assertTrue(d.getString("DeletionStatusMessage").endsWith("(left by the gateway's stop)"), d.encode());
      assertEquals("COMPLETED", d.getString("Status"));
      assertEquals("VALIDATING", d.getString("ValidationStatus"), "no result was found: the window's TIMED_OUT decides");
      assertNull(await(bed.vc.vertx, () -> bed.vc.client.findVm(vmName)), "the scratch VM is destroyed");
      assertFalse(Files.exists(bed.vc.vcsim.datastoreFile(vmName)), "its folder is gone");
      assertNotNull(await(bed.vc.vertx, () -> bed.vc.client.findVm(unknownVm)), "a VM of an unknown job is left alone");
      assertNotNull(await(bed.vc.vertx, () -> bed.vc.client.findVm(ordinaryVm)), "a VM of an ordinary restore is left alone");

      // a second stop, right after the next day's test completed; then a start whose vCenter comes from the
      // coordinator (the hypervisor associated with the gateway): the clean-up runs when that hypervisor connects
      await(bed.vc.vertx, running[0]::close);
      running[0] = null;
      Instant nextDay = at.plus(Duration.ofDays(1));
      List<String> next = await(bed.coordinatorVertx, () -> bed.coordinator.restoreTests(new Random(10)).tick(nextDay)).jobsStarted();
      assertEquals(1, next.size(), next.toString());
      String secondJob = next.get(0);
      String secondVm = RestoreTestRunner.VM_PREFIX + secondJob.toLowerCase(Locale.ROOT);
      CoordinatorClient again = new CoordinatorClient(bed.vc.vertx, java.net.URI.create("http://127.0.0.1:" + bed.proxy.port()),
          GatewayTestbed.REGION, Duration.ofSeconds(30)).withToken(reg.token());
      assertEquals(secondJob, await(bed.vc.vertx, () -> again.post("/restore-jobs/lease", new JsonObject().put("leaseSeconds", 300)))
          .getJsonObject("job").getString("jobId"));
      VmInfo secondScratch = restoreAs(secondVm, masterKey, location, pointArn, true);
      await(bed.vc.vertx, () -> again.post("/restore-jobs/" + secondJob + "/complete", new JsonObject().put("createdResourceArn",
          VmResources.arn(GatewayTestbed.REGION, bed.key.accountId(), secondScratch.instanceUuid()))));

      var gatewayApi = bed.gatewayApi(bed.key);
      String hypervisor = gatewayApi.importHypervisorConfiguration(r -> r.name("vcsim-left").host(bed.vc.vcsim.hostPort())
          .username(bed.vc.vcsim.user()).password(bed.vc.vcsim.password())).hypervisorArn();
      gatewayApi.associateGatewayToServer(r -> r.gatewayArn(reg.gatewayArn()).serverArn(hypervisor));
      GatewayConfig fromCoordinator = bed.config(1, false);
      running[0] = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, fromCoordinator, again,
          new GatewayAgent.Joined(reg.gatewayId(), reg.gatewayArn()), null));
      JsonObject second = deletionOf(secondJob);
      assertEquals("SUCCESSFUL", second.getString("DeletionStatus"), second.encode());
      assertTrue(second.getString("DeletionStatusMessage").startsWith("destroyed VM '" + secondVm + "'"), second.encode());
      assertEquals(hypervisor, running[0].hypervisorArn(), "the VM was found through the coordinator's hypervisor");
      assertNull(await(bed.vc.vertx, () -> bed.vc.client.findVm(secondVm)), "the second scratch VM is destroyed");
      assertNotNull(await(bed.vc.vertx, () -> bed.vc.client.findVm(unknownVm)), "still left alone");
    } finally {
      if (running[0] != null) {
        await(bed.vc.vertx, running[0]::close);
      }
      VmRestoreTestingTest.boto3(bed, "cleanup", "left");
    }
  }

  /** DescribeRestoreJob (boto3) once the test's DeletionStatus is in. */
  private static JsonObject deletionOf(String jobId) {
    JsonObject[] d = new JsonObject[1];
    waitFor("the deletion of restore test " + jobId, Duration.ofSeconds(60), () -> {
      d[0] = VmRestoreTestingTest.boto3(bed, "describe", jobId);
      return d[0].getString("DeletionStatus") != null;
    });
    return d[0];
  }
}
