package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.agent.testing.VcsimAdmin;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.coordinator.auth.AccessKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.DescribeBackupJobResponse;

/**
 * Faults seen through the job loop, against the simulator and a real coordinator: a job stopped through the AWS
 * API, a VM deleted while it is read, a snapshot vCenter refuses. Each ends with the job's state and one-line
 * message in the AWS API, the snapshot removed, and nothing half-written in the vault. Slow backups come from the
 * gateway's bandwidth limit.
 */
@Timeout(180)
class GatewayFaultsTest {
  private static final long SLOW = 256 * 1024; // bytes per second: 4 MiB of data take 16 s

  @TempDir
  static Path dir;
  private static GatewayTestbed bed;

  @BeforeAll
  static void start() throws IOException {
    bed = GatewayTestbed.start(dir, null, "--vms", "3");
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  @AfterEach
  void noLimit() {
    bed.agent.setBandwidthLimit(0);
  }

  private static DescribeBackupJobResponse job(String id) {
    return bed.backup.describeBackupJob(r -> r.backupJobId(id));
  }

  private static DescribeBackupJobResponse awaitEnd(String id) {
    Set<BackupJobState> ended = Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED, BackupJobState.ABORTED, BackupJobState.EXPIRED);
    waitFor("backup job " + id + " to end", Duration.ofSeconds(60), () -> ended.contains(job(id).state()));
    return job(id);
  }

  private static long[] blocks(long from, int count) {
    return LongStream.range(from, from + count).toArray();
  }

  private static List<Path> vaultPoints() throws IOException {
    Path points = Path.of(java.net.URI.create(bed.vaultLocation)).resolve("points");
    if (!Files.isDirectory(points)) {
      return List.of();
    }
    try (var s = Files.walk(points)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void stopBackupJobAbortsTheRunningBackupRemovesItsSnapshotAndKeepsNoPoint() throws IOException {
    String source = "DC0_H0_VM0";
    TestDisks.writeRandomBlocks(bed.flatFile(source), 61, blocks(0, 64));
    int pointsBefore = vaultPoints().size();
    bed.agent.setBandwidthLimit(SLOW);

    String id = bed.startBackup(source);
    waitFor("the job to run", Duration.ofSeconds(20), () -> job(id).state() == BackupJobState.RUNNING);
    bed.backup.stopBackupJob(r -> r.backupJobId(id));

    DescribeBackupJobResponse b = awaitEnd(id);
    assertEquals(BackupJobState.ABORTED, b.state(), b.statusMessage());
    waitFor("the outcome on the VM", Duration.ofSeconds(10),
        () -> String.valueOf(bed.vm(source).customAttributes().get(GatewayAgent.LAST_BACKUP_STATE)).startsWith("ABORTED: "));
    VmInfo vm = bed.vm(source);
    assertEquals(List.of(), vm.snapshots(), "the snapshot is removed");
    assertEquals(pointsBefore, vaultPoints().size(), "no point of the stopped backup is kept");
  }

  @Test
  void aVmDeletedWhileItIsReadFailsItsJobWithTheCause() throws Exception {
    String source = "DC0_H0_VM1";
    TestDisks.writeRandomBlocks(bed.flatFile(source), 62, blocks(0, 64));
    int pointsBefore = vaultPoints().size();
    bed.agent.setBandwidthLimit(SLOW);

    String id = bed.startBackup(source);
    waitFor("the job to run", Duration.ofSeconds(20), () -> job(id).state() == BackupJobState.RUNNING);
    Thread.sleep(2_000); // reading
    VcsimAdmin.destroyVm(bed.vc.vcsim, source);

    DescribeBackupJobResponse b = awaitEnd(id);
    assertEquals(BackupJobState.FAILED, b.state());
    assertTrue(b.statusMessage().startsWith("cannot back up VM '" + source + "'"), b.statusMessage());
    assertTrue(b.statusMessage().endsWith("; the VM was deleted during the backup, with its snapshots"), b.statusMessage());
    assertTrue(!b.statusMessage().contains("\n"), "one line");
    assertEquals(pointsBefore, vaultPoints().size(), "no point of the failed backup is kept");
  }

  @Test
  void aGatewayRunsAtMostMaxJobsAtOnceAndTheRestWait() throws Exception {
    AccessKey account = bed.newAccount();
    BackupClient api = bed.backupApi(account);
    GatewayConfig config = bed.config(account, 2, true);
    GatewayAgent two = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config));
    try {
      two.setBandwidthLimit(SLOW);
      api.createBackupVault(r -> r.backupVaultName("two-at-once"));
      List<String> ids = new ArrayList<>();
      for (String name : List.of("DC0_H0_VM2", "DC0_C0_RP0_VM1", "DC0_C0_RP0_VM2")) {
        TestDisks.writeRandomBlocks(bed.flatFile(name), 63, blocks(0, 16));
        String arn = two.vmArn(bed.vm(name));
        ids.add(api.startBackupJob(r -> r.backupVaultName("two-at-once").iamRoleArn("arn:aws:iam::" + account.accountId() + ":role/b")
            .resourceArn(arn)).backupJobId());
      }
      int most = 0;
      long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < end) {
        List<BackupJobState> states = ids.stream().map(id -> api.describeBackupJob(r -> r.backupJobId(id)).state()).toList();
        most = Math.max(most, (int) states.stream().filter(st -> st == BackupJobState.RUNNING).count());
        if (states.stream().allMatch(st -> st == BackupJobState.COMPLETED)) {
          break;
        }
        Thread.sleep(100);
      }
      for (String id : ids) {
        assertEquals(BackupJobState.COMPLETED, api.describeBackupJob(r -> r.backupJobId(id)).state());
      }
      assertEquals(2, most, "two at once, never three");
    } finally {
      await(bed.vc.vertx, two::close);
      api.close();
    }
  }

  @Test
  void aSnapshotVcenterRefusesFailsTheJobWithVcentersReason() {
    String source = "DC0_C0_RP0_VM0";
    VmInfo vm = bed.vm(source);
    for (int i = 0; i < 32; i++) {
      String name = "admin-" + i;
      await(bed.vc.vertx, () -> bed.vc.client.createSnapshot(vm, name, "", false));
    }

    DescribeBackupJobResponse b = awaitEnd(bed.startBackup(source));

    assertEquals(BackupJobState.FAILED, b.state());
    assertTrue(b.statusMessage().startsWith("cannot back up VM '" + source + "'"), b.statusMessage());
    assertTrue(b.statusMessage().contains("32 snapshots"), b.statusMessage());
    assertEquals(32, bed.vm(source).snapshots().size(), "the administrator's snapshots are untouched");
  }
}
