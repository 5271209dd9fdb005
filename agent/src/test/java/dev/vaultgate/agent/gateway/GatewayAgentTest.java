package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static dev.vaultgate.agent.testing.TestDisks.BLOCK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.agent.testing.VcsimAdmin;
import dev.vaultgate.agent.backup.VmRecoveryPoint;
import dev.vaultgate.agent.backup.VmRecoveryPoints;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.vsphere.VsphereTags;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.DescribeBackupJobResponse;
import software.amazon.awssdk.services.backup.model.DescribeRestoreJobResponse;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;

/**
 * The gateway's job loop against real peers: the vCenter simulator, a coordinator with embedded PostgreSQL driven
 * by the AWS Backup SDK client, a vault on disk. Jobs are started through the AWS API and the agent leases, runs
 * and reports them on its own. Each test uses its own VMs.
 */
@Timeout(180)
class GatewayAgentTest {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);

  @TempDir
  static Path dir;
  private static GatewayTestbed bed;

  @BeforeAll
  static void start() throws IOException {
    bed = GatewayTestbed.start(dir, null, "--vms", "4");
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  private static DescribeBackupJobResponse backupJob(String id) {
    return bed.backup.describeBackupJob(r -> r.backupJobId(id));
  }

  private static DescribeBackupJobResponse awaitBackup(String id) {
    Set<BackupJobState> ended = Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED, BackupJobState.ABORTED, BackupJobState.EXPIRED);
    waitFor("backup job " + id + " to end", JOB_TIMEOUT, () -> ended.contains(backupJob(id).state()));
    return backupJob(id);
  }

  private static DescribeRestoreJobResponse awaitRestore(String id) {
    Set<RestoreJobStatus> ended = Set.of(RestoreJobStatus.COMPLETED, RestoreJobStatus.FAILED, RestoreJobStatus.ABORTED);
    waitFor("restore job " + id + " to end", JOB_TIMEOUT,
        () -> ended.contains(bed.backup.describeRestoreJob(r -> r.restoreJobId(id)).status()));
    return bed.backup.describeRestoreJob(r -> r.restoreJobId(id));
  }

  private static Map<String, String> restoreMetadata(String pointArn) {
    return bed.backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName(bed.vaultName).recoveryPointArn(pointArn))
        .restoreMetadata();
  }

  @Test
  void jobsStartedThroughTheAwsApiBackUpIncrementallyAndRestoreAByteIdenticalVm() {
    String source = "DC0_H0_VM0";
    Path flat = bed.flatFile(source);
    TestDisks.writeRandomBlocks(flat, 11, 0, 1, 2, 40, 41, 200);

    DescribeBackupJobResponse first = awaitBackup(bed.startBackup(source));
    assertEquals(BackupJobState.COMPLETED, first.state(), first.statusMessage());
    assertEquals(16L << 20, first.backupSizeInBytes(), "the size of the VM's disks");
    Map<String, String> firstMeta = restoreMetadata(first.recoveryPointArn());
    assertEquals(source, firstMeta.get("VMName"));
    assertEquals("/DC0/vm", firstMeta.get("VMPath"), "the VM's folder, which a restore takes back");
    assertEquals(String.valueOf(6L * BLOCK), firstMeta.get("vaultgate:bytesRead"), "a first backup reads the areas in use");
    // The outcome is written to vCenter after the coordinator took the job's completion: wait for its last write.
    GatewayTestbed.waitFor("the backup outcome on the VM", java.time.Duration.ofSeconds(10),
        () -> bed.vm(source).customAttributes().containsKey(GatewayAgent.LAST_RECOVERY_POINT));
    VmInfo vm = bed.vm(source);
    assertEquals("COMPLETED", vm.customAttributes().get(GatewayAgent.LAST_BACKUP_STATE));
    assertEquals(first.recoveryPointArn(), vm.customAttributes().get(GatewayAgent.LAST_RECOVERY_POINT));
    assertNotNull(vm.customAttributes().get(GatewayAgent.LAST_BACKUP));

    TestDisks.writeRandomBlocks(flat, 12, 41, 150);
    DescribeBackupJobResponse second = awaitBackup(bed.startBackup(source));
    assertEquals(BackupJobState.COMPLETED, second.state(), second.statusMessage());
    Map<String, String> secondMeta = restoreMetadata(second.recoveryPointArn());
    assertEquals(String.valueOf(2L * BLOCK), secondMeta.get("vaultgate:bytesRead"), "CBT: only the two changed blocks were read");
    long bytesNew = Long.parseLong(secondMeta.get("vaultgate:bytesNew"));
    assertTrue(bytesNew >= 2L * BLOCK && bytesNew < 2L * BLOCK + 16 * 1024, "only they were stored: " + bytesNew);
    byte[] atSecondBackup = TestDisks.read(flat);
    TestDisks.writeRandomBlocks(flat, 13, 3); // after the backup: the restore must not see it

    String restoreId = bed.backup.startRestoreJob(r -> r.recoveryPointArn(second.recoveryPointArn()).iamRoleArn(bed.role)
        .metadata(Map.of("RestoreTo", "VMware", "VMName", "restored-vm0", "PowerOn", "true", "VMPath", secondMeta.get("VMPath"))))
        .restoreJobId();
    DescribeRestoreJobResponse restore = awaitRestore(restoreId);
    assertEquals(RestoreJobStatus.COMPLETED, restore.status(), restore.statusMessage());
    VmInfo copy = bed.vm("restored-vm0");
    assertTrue(copy.poweredOn());
    assertEquals(VmResources.arn(GatewayTestbed.REGION, bed.key.accountId(), copy), restore.createdResourceArn());
    assertArrayEquals(atSecondBackup, TestDisks.read(bed.vc.vcsim.datastoreFile("restored-vm0/restored-vm0-flat.vmdk")),
        "the new VM's disk is the second backup's, byte for byte");
  }

  @Test
  void aRestoreToAFileOnTheGatewayWritesEachDisk() throws IOException {
    String source = "DC0_H0_VM1";
    TestDisks.writeRandomBlocks(bed.flatFile(source), 21, 5, 6, 7);
    byte[] content = TestDisks.read(bed.flatFile(source));
    DescribeBackupJobResponse b = awaitBackup(bed.startBackup(source));
    assertEquals(BackupJobState.COMPLETED, b.state(), b.statusMessage());
    Path target = Files.createDirectories(dir.resolve("file-restore"));

    String id = bed.backup.startRestoreJob(r -> r.recoveryPointArn(b.recoveryPointArn()).iamRoleArn(bed.role)
        .metadata(Map.of("RestoreTo", "LocalFile", "TargetDirectory", target.toString()))).restoreJobId();

    DescribeRestoreJobResponse restore = awaitRestore(id);
    assertEquals(RestoreJobStatus.COMPLETED, restore.status(), restore.statusMessage());
    assertArrayEquals(content, TestDisks.read(target.resolve(source + "-scsi0_0.img")));

    String other = bed.backup.startRestoreJob(r -> r.recoveryPointArn(b.recoveryPointArn()).iamRoleArn(bed.role)
        .metadata(Map.of("RestoreTo", "LocalFile", "TargetDirectory", target.toString(), "VMName", "second",
            "DisksToRestore", "[{\"DiskId\":\"9999\",\"Label\":\"Hard disk 9\"}]"))).restoreJobId();
    DescribeRestoreJobResponse refused = awaitRestore(other);
    assertEquals(RestoreJobStatus.FAILED, refused.status());
    assertTrue(refused.statusMessage().contains(": restore metadata DisksToRestore names {\"DiskId\":\"9999\",\"Label\":\"Hard disk 9\"},"
        + " which the backup does not have (it has scsi0:0 (DiskId "), refused.statusMessage());
    assertFalse(Files.exists(target.resolve("second-scsi0_0.img")), "nothing written");
  }

  @Test
  void aRestoreToANameThatExistsFailsTheJobWithTheReasonAndCreatesNothing() {
    String source = "DC0_C0_RP0_VM0";
    TestDisks.writeRandomBlocks(bed.flatFile(source), 31, 1);
    DescribeBackupJobResponse b = awaitBackup(bed.startBackup(source));
    assertEquals(BackupJobState.COMPLETED, b.state(), b.statusMessage());

    String id = bed.backup.startRestoreJob(r -> r.recoveryPointArn(b.recoveryPointArn()).iamRoleArn(bed.role)
        .metadata(Map.of("VMName", "DC0_H0_VM2"))).restoreJobId();

    DescribeRestoreJobResponse restore = awaitRestore(id);
    assertEquals(RestoreJobStatus.FAILED, restore.status());
    assertTrue(restore.statusMessage().startsWith("cannot restore VM backup "), restore.statusMessage());
    assertTrue(restore.statusMessage().endsWith("already has a VM named 'DC0_H0_VM2' (" + bed.vm("DC0_H0_VM2").moref() + ")"),
        restore.statusMessage());
  }

  @Test
  void backupOptionsWindowsVssDisabledTurnsQuiescingOffWhichIsOtherwiseOnWhenToolsRun() throws Exception {
    String source = "DC0_C0_RP0_VM3";
    VcsimAdmin.setToolsRunning(bed.vc.vcsim, source, true);
    TestDisks.writeRandomBlocks(bed.flatFile(source), 51, 2);

    String off = bed.backup.startBackupJob(r -> r.backupVaultName(bed.vaultName).iamRoleArn(bed.role).resourceArn(bed.arn(source))
        .backupOptions(Map.of("WindowsVSS", "disabled"))).backupJobId();
    DescribeBackupJobResponse unquiesced = awaitBackup(off);
    assertEquals(BackupJobState.COMPLETED, unquiesced.state(), unquiesced.statusMessage());
    assertEquals("false", restoreMetadata(unquiesced.recoveryPointArn()).get("vaultgate:quiesced"));

    DescribeBackupJobResponse quiesced = awaitBackup(bed.startBackup(source));
    assertEquals(BackupJobState.COMPLETED, quiesced.state(), quiesced.statusMessage());
    assertEquals("true", restoreMetadata(quiesced.recoveryPointArn()).get("vaultgate:quiesced"), "asked by default, and Tools runs");
  }

  @Test
  void aBackupOfAVmDeletedAfterItWasInventoriedFailsWithAClearMessage() throws Exception {
    String source = "DC0_C0_RP0_VM1";
    String arn = bed.arn(source);
    VcsimAdmin.destroyVm(bed.vc.vcsim, source);

    String id = bed.backup.startBackupJob(r -> r.backupVaultName(bed.vaultName).iamRoleArn(bed.role).resourceArn(arn)).backupJobId();

    DescribeBackupJobResponse b = awaitBackup(id);
    assertEquals(BackupJobState.FAILED, b.state());
    assertEquals("vCenter " + bed.vc.vcsim.hostPort() + " has no VM " + arn + " (instance UUID " + VmResources.idOf(arn)
        + "): deleted, or not reached by this gateway", b.statusMessage());
  }

  @Test
  void aCoordinatorUnreachableForAWhileDelaysJobsButLosesNone() {
    String source = "DC0_C0_RP0_VM2";
    TestDisks.writeRandomBlocks(bed.flatFile(source), 41, 9);
    bed.proxy.cut();
    String id;
    try {
      id = bed.startBackup(source); // the AWS API is reached directly; only the gateway's path is cut
      sleep(4_000);
      assertEquals(BackupJobState.CREATED, backupJob(id).state(), "no gateway could lease it");
    } finally {
      bed.proxy.restore();
    }
    DescribeBackupJobResponse b = awaitBackup(id);
    assertEquals(BackupJobState.COMPLETED, b.state(), b.statusMessage());
  }

  @Test
  void aVmsVsphereTagsAreKeptWithItsBackup() throws Exception {
    String source = "DC0_H0_VM3";
    VmInfo vm = bed.vm(source);
    VsphereTags tags = bed.vc.client.tags(bed.vc.vertx);
    String category = await(bed.vc.vertx, () -> tags.createCategory("backup-tier", true));
    String gold = await(bed.vc.vertx, () -> tags.createTag(category, "gold"));
    await(bed.vc.vertx, () -> tags.attach(gold, vm.moref()));
    TestDisks.writeRandomBlocks(bed.flatFile(source), 51, 2);
    await(bed.vc.vertx, bed.agent::syncInventory); // tags are not in vCenter's change feed: the periodic sync reads them

    DescribeBackupJobResponse b = awaitBackup(bed.startBackup(source));
    assertEquals(BackupJobState.COMPLETED, b.state(), b.statusMessage());

    VaultAccess vaults = new VaultAccess(bed.vc.vertx, bed.agent.config().masterKeyFile());
    VaultAccess.Opened opened = await(bed.vc.vertx, () -> vaults.open(bed.vaultLocation));
    try {
      VmRecoveryPoint point = await(bed.vc.vertx, () -> VmRecoveryPoints.withLabel(opened.repo(), "recoveryPointArn", b.recoveryPointArn()));
      assertEquals("gold", point.metadata().label("tag:backup-tier"));
      assertEquals(b.backupJobId(), point.metadata().label("backupJobId"));
    } finally {
      opened.close();
    }
  }

  @Test
  void aTriggerAttributeOnAVmNoPlanCoversIsSeenThroughTheChangeFeedResetAndAnsweredOnTheVm() {
    String source = "DC0_H0_VM1";
    VmInfo vm = bed.vm(source);
    long t0 = System.nanoTime();
    await(bed.vc.vertx, () -> bed.vc.client.setCustomAttribute(vm, GatewayConfig.DEFAULT_TRIGGER, "now"));

    waitFor("the trigger to be reset", Duration.ofSeconds(20),
        () -> "".equals(bed.vm(source).customAttributes().get(GatewayConfig.DEFAULT_TRIGGER)));
    assertTrue(System.nanoTime() - t0 < 15_000_000_000L, "seen through the feed, not a periodic sync (every 10 minutes here)");
    waitFor("the outcome", Duration.ofSeconds(20), () -> bed.vm(source).customAttributes().get(GatewayAgent.LAST_BACKUP_STATE) != null);
    String state = bed.vm(source).customAttributes().get(GatewayAgent.LAST_BACKUP_STATE);
    assertTrue(state.startsWith("FAILED: ") && state.contains("NoPlanCoversResource"), state);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
