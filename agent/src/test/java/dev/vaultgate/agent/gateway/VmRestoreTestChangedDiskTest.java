package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.InterceptingHttpProxy;
import dev.vaultgate.agent.testing.TestDisks;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;

/**
 * A restore test whose restore completes but whose restored disk is not the backup's when it is checked: another
 * writer changes the scratch VM's disk on the datastore between the restore and the check. The gateway talks to the
 * coordinator through an HTTP proxy that, when it sees the test's "VALIDATING" report go by, writes into the scratch
 * VM's flat disk file (vcsim keeps datastores as plain files) before forwarding it; the gateway starts its check only
 * once that report is answered. The check finds the changed block: validation FAILED, naming it, and the scratch VM is
 * still cleaned up. Nothing was lost: the recovery point itself restores byte for byte afterwards.
 */
@Timeout(240)
class VmRestoreTestChangedDiskTest {

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

  @Test
  void aRestoredDiskChangedByAnotherWriterBeforeTheCheckValidatesFailedAndThePointStillRestores() throws Exception {
    String source = "DC0_H0_VM0";
    Path sourceDisk = bed.flatFile(source);
    TestDisks.writeRandomBlocks(sourceDisk, 61, 0, 2, 7);
    String backupJob = bed.startBackup(source);
    waitFor("the backup", Duration.ofSeconds(90), () -> {
      BackupJobState s = bed.backup.describeBackupJob(r -> r.backupJobId(backupJob)).state();
      return s != BackupJobState.CREATED && s != BackupJobState.RUNNING && s != BackupJobState.PENDING;
    });
    var backup = bed.backup.describeBackupJob(r -> r.backupJobId(backupJob));
    assertEquals(BackupJobState.COMPLETED, backup.state(), backup.statusMessage());
    byte[] backedUp = Files.readAllBytes(sourceDisk);
    Path masterKey = bed.agent.config().masterKeyFile();
    await(bed.vc.vertx, bed.agent::close);
    bed.agent = null;

    // the other writer: when the restore test reports VALIDATING, block 2 of the scratch VM's disk is overwritten
    AtomicReference<String> changed = new AtomicReference<>();
    InterceptingHttpProxy proxy = InterceptingHttpProxy.start(bed.coordinatorVertx, bed.coordinator.port(), (method, path, body) -> {
      if (!path.endsWith("/validation") || !"VALIDATING".equals(new JsonObject(body).getString("status"))) {
        return;
      }
      String job = path.split("/")[4];
      Path folder = bed.vc.vcsim.datastoreFile(RestoreTestRunner.VM_PREFIX + job.toLowerCase(Locale.ROOT));
      try (var files = Files.list(folder)) {
        Path flat = files.filter(f -> f.getFileName().toString().endsWith("-flat.vmdk")).findFirst()
            .orElseThrow(() -> new AssertionError("no flat disk in " + folder));
        byte[] other = new byte[TestDisks.BLOCK];
        Arrays.fill(other, (byte) 0x5A);
        try (FileChannel ch = FileChannel.open(flat, StandardOpenOption.WRITE)) {
          ch.write(ByteBuffer.wrap(other), 2L * TestDisks.BLOCK);
        }
        changed.set(flat.toString());
      }
    });
    GatewayAgent gateway = null;
    try {
      CoordinatorClient client = new CoordinatorClient(bed.vc.vertx, java.net.URI.create("http://127.0.0.1:" + proxy.port()),
          GatewayTestbed.REGION, Duration.ofSeconds(30));
      CoordinatorClient direct = new CoordinatorClient(bed.vc.vertx, java.net.URI.create("http://127.0.0.1:" + bed.coordinator.port()),
          GatewayTestbed.REGION, Duration.ofSeconds(30));
      CoordinatorClient.Registration reg = await(bed.vc.vertx, () -> direct.register("site-c", "test", bed.key.accessKeyId(),
          bed.key.secretAccessKey()));
      await(bed.vc.vertx, direct::close);
      client.withToken(reg.token());
      GatewayConfig config = bed.config(1, true);
      Files.copy(masterKey, config.masterKeyFile()); // the same gateway's key: it opens the vault it backed up into
      gateway = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config, client,
          new GatewayAgent.Joined(reg.gatewayId(), reg.gatewayArn()), null));

      VmRestoreTestingTest.boto3(bed, "plan", "changed", "VirtualMachine", bed.arn(source));
      Instant tick = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofHours(3));
      if (!tick.isAfter(Instant.now())) tick = tick.plus(Duration.ofDays(1));
      Instant at = tick.plusSeconds(10);
      List<String> started = await(bed.coordinatorVertx, () -> bed.coordinator.restoreTests(new Random(11)).tick(at)).jobsStarted();
      assertEquals(1, started.size(), started.toString());
      String jobId = started.get(0);
      String vmName = RestoreTestRunner.VM_PREFIX + jobId.toLowerCase(Locale.ROOT);
      JsonObject[] d = new JsonObject[1];
      waitFor("the restore test to be cleaned up", Duration.ofSeconds(120), () -> {
        d[0] = VmRestoreTestingTest.boto3(bed, "describe", jobId);
        String deletion = d[0].getString("DeletionStatus");
        return deletion != null && !deletion.equals("DELETING");
      });
      assertTrue(changed.get() != null, "the other writer changed the scratch disk");
      assertEquals("COMPLETED", d[0].getString("Status"), "the restore itself completed: " + d[0].encode());
      assertEquals("FAILED", d[0].getString("ValidationStatus"), d[0].encode());
      String message = d[0].getString("ValidationStatusMessage");
      assertTrue(message.contains("VM '" + vmName + "' disk ") && message.contains(": 1 of ")
          && message.contains(" blocks differ from the backup's checksums"),
          message);
      assertEquals("SUCCESSFUL", d[0].getString("DeletionStatus"), d[0].encode());
      assertNull(await(bed.vc.vertx, () -> bed.vc.client.findVm(vmName)), "the scratch VM is destroyed all the same");

      // nothing was lost: the point restores to a file byte for byte
      Path target = Files.createDirectories(dir.resolve("restored"));
      String restore = bed.backup.startRestoreJob(r -> r.recoveryPointArn(backup.recoveryPointArn()).iamRoleArn(bed.role)
          .metadata(Map.of("RestoreTo", "LocalFile", "TargetDirectory", target.toString()))).restoreJobId();
      waitFor("the restore", Duration.ofSeconds(90), () -> {
        RestoreJobStatus s = bed.backup.describeRestoreJob(r -> r.restoreJobId(restore)).status();
        return s == RestoreJobStatus.COMPLETED || s == RestoreJobStatus.FAILED || s == RestoreJobStatus.ABORTED;
      });
      var restored = bed.backup.describeRestoreJob(r -> r.restoreJobId(restore));
      assertEquals(RestoreJobStatus.COMPLETED, restored.status(), restored.statusMessage());
      try (var files = Files.list(target)) {
        Path file = files.findFirst().orElseThrow();
        assertArrayEquals(backedUp, Files.readAllBytes(file), "the point restores the backed-up disk: " + file);
      }
      VmRestoreTestingTest.boto3(bed, "cleanup", "changed");
    } finally {
      if (gateway != null) {
        GatewayAgent g = gateway;
        await(bed.vc.vertx, g::close);
      }
      proxy.close();
    }
  }
}
