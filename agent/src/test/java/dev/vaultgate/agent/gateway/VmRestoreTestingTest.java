package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.agent.vsphere.VmInfo;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backup.model.BackupJobState;

/**
 * A VM's restore test against the vCenter simulator: a restore testing plan (boto3) selects a backed-up VM, the
 * coordinator's scheduler starts the test, and the gateway restores it as a new VM {@code
 * vaultgate-restore-test-<job>}, powered on; while the validation runs (VALIDATING in the database) the VM is in
 * vCenter, powered on, and its disk on the datastore is compared with the backup's block checksums; afterwards the
 * VM and its datastore folder are gone and DescribeRestoreJob (boto3) says validation SUCCESSFUL, deletion
 * SUCCESSFUL. vcsim has no guest: the heartbeat it reports is gray, so the check is the power state.
 */
@Timeout(240)
class VmRestoreTestingTest {
  static final String PYTHON = "/root/.pyenv/versions/3.11.7/bin/python3";
  static final Path CLIENT = Path.of("src", "test", "resources", "restoretest", "restore_test_client.py").toAbsolutePath();

  @TempDir
  static Path dir;
  private static GatewayTestbed bed;

  @BeforeAll
  static void start() throws IOException {
    bed = GatewayTestbed.start(dir, null, "--vms", "2");
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  static JsonObject boto3(String step, String... args) {
    return boto3(bed, step, args);
  }

  /** Runs a step of restore_test_client.py (boto3) against {@code on}'s coordinator as its account. */
  static JsonObject boto3(GatewayTestbed on, String step, String... args) {
    try {
      List<String> command = new ArrayList<>(List.of(PYTHON, CLIENT.toString(), step, "http://127.0.0.1:" + on.coordinator.port(),
          on.key.accessKeyId(), on.key.secretAccessKey()));
      command.addAll(List.of(args));
      Process p = new ProcessBuilder(command).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "boto3 " + step + " did not end");
      assertEquals(0, p.exitValue(), "boto3 " + step + ": " + err + out);
      return new JsonObject(out.trim());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  String validationStatus(String jobId) {
    var rows = await(bed.coordinatorVertx, () -> bed.coordinator.pool()
        .preparedQuery("SELECT validation_status FROM restore_jobs WHERE job_id = $1").execute(Tuple.of(jobId)));
    return rows.iterator().next().getString(0);
  }

  @Test
  void aVmRestoreTestRunsAPoweredOnScratchVmThatExistsWhileItIsValidatedAndIsDestroyedAfter() throws Exception {
    assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON);
    String source = "DC0_H0_VM0";
    TestDisks.writeRandomBlocks(bed.flatFile(source), 31, 0, 1, 2, 17, 100);
    String backupJob = bed.startBackup(source);
    waitFor("the backup", Duration.ofSeconds(90), () -> {
      BackupJobState s = bed.backup.describeBackupJob(r -> r.backupJobId(backupJob)).state();
      return s != BackupJobState.CREATED && s != BackupJobState.RUNNING && s != BackupJobState.PENDING;
    });
    var backup = bed.backup.describeBackupJob(r -> r.backupJobId(backupJob));
    assertEquals(BackupJobState.COMPLETED, backup.state(), backup.statusMessage());

    String planArn = boto3("plan", "vms", "VirtualMachine", bed.arn(source)).getString("planArn");
    Instant tick = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofHours(3));
    if (!tick.isAfter(Instant.now())) tick = tick.plus(Duration.ofDays(1));
    Instant at = tick.plusSeconds(10);
    List<String> started = await(bed.coordinatorVertx, () -> bed.coordinator.restoreTests(new Random(5)).tick(at)).jobsStarted();
    assertEquals(1, started.size(), started.toString());
    String jobId = started.get(0);
    String vmName = RestoreTestRunner.VM_PREFIX + jobId.toLowerCase(Locale.ROOT);

    // Watch vCenter while the gateway works: a VALIDATING status read before the VM is seen means the VM existed
    // while it was validated (it is created before validation starts and destroyed only after its result is in).
    AtomicBoolean seenWhileValidating = new AtomicBoolean();
    AtomicBoolean seenPoweredOn = new AtomicBoolean();
    AtomicBoolean watching = new AtomicBoolean(true);
    Thread watcher = new Thread(() -> {
      while (watching.get()) {
        try {
          String status = validationStatus(jobId);
          VmInfo vm = await(bed.vc.vertx, () -> bed.vc.client.findVm(vmName));
          if (vm != null && vm.poweredOn()) {
            seenPoweredOn.set(true);
            if ("VALIDATING".equals(status)) {
              seenWhileValidating.set(true);
            }
          }
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          // a VM destroyed between the listing and its properties: look again
        }
      }
    }, "restore-test-watcher");
    watcher.start();
    JsonObject[] ended = new JsonObject[1];
    try {
      waitFor("the restore test to be cleaned up", Duration.ofSeconds(120), () -> {
        ended[0] = boto3("describe", jobId);
        String deletion = ended[0].getString("DeletionStatus");
        return deletion != null && !deletion.equals("DELETING");
      });
    } finally {
      watching.set(false);
      watcher.join(10_000);
    }
    JsonObject d = ended[0];
    assertEquals("COMPLETED", d.getString("Status"), d.encode());
    assertEquals(planArn, d.getString("RestoreTestingPlanArn"));
    assertEquals("SUCCESSFUL", d.getString("ValidationStatus"), d.encode());
    String message = d.getString("ValidationStatusMessage");
    assertTrue(message.contains("VM '" + vmName + "' powered on"), message);
    assertTrue(message.contains("guest heartbeat gray"), "vcsim has no guest to answer: " + message);
    assertTrue(message.contains("blocks match the backup's checksums"), message);
    assertEquals("SUCCESSFUL", d.getString("DeletionStatus"), d.encode());
    assertTrue(d.getString("DeletionStatusMessage").contains("destroyed VM '" + vmName + "'"), d.encode());
    assertTrue(d.getString("CreatedResourceArn").startsWith("arn:aws:backup-gateway:us-east-1:" + bed.key.accountId() + ":vm/"),
        d.encode());

    assertTrue(seenPoweredOn.get(), "the scratch VM was in vCenter, powered on");
    assertTrue(seenWhileValidating.get(), "the scratch VM existed while the test was VALIDATING");
    assertNull(await(bed.vc.vertx, () -> bed.vc.client.findVm(vmName)), "the scratch VM is destroyed");
    assertFalse(Files.exists(bed.vc.vcsim.datastoreFile(vmName)), "its datastore folder is gone");
    boto3("cleanup", "vms");
  }

  @Test
  void aVmRestoreTestOfADamagedBackupFailsAndLeavesNoVmNoFolderNoStagingFile() throws Exception {
    assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON);
    String source = "DC0_H0_VM1";
    TestDisks.writeRandomBlocks(bed.flatFile(source), 41, 3, 4, 50);
    Path vault = Path.of(java.net.URI.create(bed.vaultLocation));
    List<Path> before = packs(vault);
    String backupJob = bed.startBackup(source);
    waitFor("the backup", Duration.ofSeconds(90), () -> {
      BackupJobState s = bed.backup.describeBackupJob(r -> r.backupJobId(backupJob)).state();
      return s != BackupJobState.CREATED && s != BackupJobState.RUNNING && s != BackupJobState.PENDING;
    });
    var backup = bed.backup.describeBackupJob(r -> r.backupJobId(backupJob));
    assertEquals(BackupJobState.COMPLETED, backup.state(), backup.statusMessage());
    // damage the packs this backup wrote (its blocks are its own random data, in no other VM's packs)
    List<Path> written = packs(vault).stream().filter(p -> !before.contains(p)).toList();
    assertFalse(written.isEmpty(), "the backup wrote packs");
    for (Path pack : written) {
      try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(pack.toFile(), "rw")) {
        f.seek(100);
        int b = f.read();
        f.seek(100);
        f.write(b ^ 0x55);
      }
    }

    boto3("plan", "damaged", "VirtualMachine", bed.arn(source));
    Instant tick = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofHours(3));
    if (!tick.isAfter(Instant.now())) tick = tick.plus(Duration.ofDays(1));
    Instant at = tick.plusSeconds(20);
    List<String> started = await(bed.coordinatorVertx, () -> bed.coordinator.restoreTests(new Random(6)).tick(at)).jobsStarted();
    String jobId = started.stream().filter(id -> backup.recoveryPointArn().equals(
        bed.backup.describeRestoreJob(r -> r.restoreJobId(id)).recoveryPointArn())).findFirst()
        .orElseThrow(() -> new AssertionError("no restore test of the damaged point among " + started));
    String vmName = RestoreTestRunner.VM_PREFIX + jobId.toLowerCase(Locale.ROOT);
    JsonObject[] ended = new JsonObject[1];
    waitFor("the restore test to be cleaned up", Duration.ofSeconds(120), () -> {
      ended[0] = boto3("describe", jobId);
      String deletion = ended[0].getString("DeletionStatus");
      return deletion != null && !deletion.equals("DELETING");
    });
    JsonObject d = ended[0];
    assertEquals("FAILED", d.getString("Status"), d.encode());
    assertTrue(d.getString("StatusMessage").contains("damaged"), d.encode());
    assertEquals("FAILED", d.getString("ValidationStatus"), d.encode());
    assertTrue(d.getString("ValidationStatusMessage").startsWith("the restore failed: "), d.encode());
    assertEquals("SUCCESSFUL", d.getString("DeletionStatus"), d.encode());
    assertNull(await(bed.vc.vertx, () -> bed.vc.client.findVm(vmName)), "no scratch VM");
    assertFalse(Files.exists(bed.vc.vcsim.datastoreFile(vmName)), "no datastore folder of it");
    try (var files = Files.walk(dir)) {
      assertEquals(List.of(), files.filter(f -> f.toString().contains("/staging/") && Files.isRegularFile(f)).toList(),
          "no staged disk left on the gateway");
    }
    boto3("cleanup", "damaged");
  }

  static List<Path> packs(Path vault) throws IOException {
    if (!Files.isDirectory(vault.resolve("packs"))) return List.of();
    try (var files = Files.walk(vault.resolve("packs"))) {
      return files.filter(Files::isRegularFile).toList();
    }
  }
}
