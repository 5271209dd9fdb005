package dev.vaultgate.agent.backup;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.Await.failure;
import static dev.vaultgate.agent.testing.TestDisks.BLOCK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.disk.RetryingDiskReader;
import dev.vaultgate.agent.restore.VmRestore;
import dev.vaultgate.agent.restore.VmRestoreResult;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.agent.testing.ConnectedVcsim;
import dev.vaultgate.agent.testing.VcsimAdmin;
import dev.vaultgate.agent.testing.VcsimServer;
import dev.vaultgate.agent.vsphere.DatastorePath;
import dev.vaultgate.agent.vsphere.VmExistsException;
import dev.vaultgate.agent.vsphere.VmHardware;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.vsphere.VsphereClient;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.FileVaultStorage;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * VM backup and restore end to end: the vCenter simulator, a real vault in a temporary directory, the datastore
 * read over HTTPS. Each test uses its own VM of the simulator's inventory (three per host and per cluster pool)
 * and its own vault.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class VmBackupRestoreTest {
  private static ConnectedVcsim env;
  private static VcsimServer vcsim;
  private static Vertx vertx;
  private static VsphereClient client;

  @TempDir
  Path dir;
  private Repository repo;

  @BeforeAll
  static void start() throws IOException {
    env = ConnectedVcsim.start(16, "--vms", "5");
    vcsim = env.vcsim;
    vertx = env.vertx;
    client = env.client;
  }

  @AfterAll
  static void stop() {
    if (env != null) {
      env.close();
    }
  }

  @BeforeEach
  void vault() throws IOException {
    Files.createDirectories(dir.resolve("vault"));
    FileVaultStorage storage = new FileVaultStorage(vertx, dir.resolve("vault"));
    LocalKeyWrapper key = LocalKeyWrapper.create(dir.resolve("master.key"));
    repo = await(vertx, () -> Repository.init(vertx, storage, key, VaultSettings.defaults()));
  }

  @AfterEach
  void closeVault() {
    if (repo != null) {
      repo.close();
    }
  }

  private VmInfo vm(String name) {
    return await(vertx, () -> client.vm(name));
  }

  private Path flatFile(String vmName) {
    return vcsim.datastoreFile(vm(vmName).hardware().disks().get(0).file().flatExtent().path());
  }

  private VmBackupResult backup(String vmName) {
    return await(vertx, () -> VmBackup.run(client, repo, VmBackup.Options.defaults(vmName)));
  }

  private VmRecoveryPoint point(VmBackupResult r) {
    return await(vertx, () -> VmRecoveryPoints.load(repo, r.backupId()));
  }

  private byte[] restoreToFile(VmBackupResult r, String diskName) {
    Path target = dir.resolve("restored-" + r.backupId() + ".img");
    VmRecoveryPoint p = point(r);
    await(vertx, () -> VmRestore.diskToFile(repo, p, diskName, target));
    return TestDisks.read(target);
  }

  private CheckReport check() {
    return await(vertx, () -> VaultChecker.check(repo, true));
  }

  @Test
  void fullBackupTurnsTrackingOnAndRestoresAsANewVmWithAByteIdenticalDisk() {
    String source = "DC0_H0_VM0";
    Path flat = flatFile(source);
    TestDisks.writeRandomBlocks(flat, 1, 0, 1, 2, 50, 255);
    TestDisks.writeTextBlocks(flat, 100, 101);
    assertFalse(vm(source).changeTrackingEnabled(), "the simulator's VMs start without CBT");

    VmBackupResult r = backup(source);

    assertTrue(r.changeTrackingEnabled());
    assertTrue(vm(source).changeTrackingEnabled());
    assertEquals(1, r.disks().size());
    VmBackupResult.DiskResult disk = r.disks().get(0);
    assertEquals("scsi0:0", disk.diskName());
    assertEquals("*", disk.changedSince());
    assertEquals("change tracking was off; it is on from this backup", disk.fullReason());
    assertNotNull(disk.changeId());
    assertEquals(7L * BLOCK, r.bytesRead(), "only the areas in use are read, not the 16 MiB");
    assertTrue(r.snapshotRemoved());
    assertEquals(List.of(), vm(source).snapshots(), "the snapshot is removed after a backup");

    VmRecoveryPoint p = point(r);
    VmRestoreResult restored = await(vertx, () -> VmRestore.toVsphere(client, repo, p,
        VmRestore.Options.named("restored-h0-vm0", dir).withPowerOn(true)));

    VmInfo copy = restored.vm();
    assertEquals("restored-h0-vm0", copy.name());
    assertTrue(copy.poweredOn());
    VmHardware want = vm(source).hardware();
    VmHardware got = copy.hardware();
    assertEquals(want.numCpu(), got.numCpu());
    assertEquals(want.memoryMb(), got.memoryMb());
    assertEquals(want.guestId(), got.guestId());
    assertEquals(1, got.disks().size());
    assertEquals("scsi0:0", got.diskName(got.disks().get(0)));
    assertEquals(16L << 20, got.disks().get(0).capacityBytes());
    assertEquals("[LocalDS_0] restored-h0-vm0/restored-h0-vm0.vmdk", got.disks().get(0).fileName());
    assertEquals(want.nics().size(), got.nics().size());
    assertEquals(want.nics().get(0).portgroupKey(), got.nics().get(0).portgroupKey());
    assertArrayEquals(TestDisks.read(flat), TestDisks.read(vcsim.datastoreFile("restored-h0-vm0/restored-h0-vm0-flat.vmdk")),
        "the restored VM's disk is byte-identical to the source's");
    assertTrue(Files.isRegularFile(vcsim.datastoreFile("restored-h0-vm0/restored-h0-vm0.vmdk")), "a descriptor next to it");
  }

  @Test
  void incrementalBackupReadsAndStoresOnlyTheChangedBlocks() {
    String source = "DC0_H0_VM1";
    Path flat = flatFile(source);
    TestDisks.writeRandomBlocks(flat, 2, 0, 10, 11, 12, 13, 200);
    VmBackupResult first = backup(source);
    String firstChangeId = first.disks().get(0).changeId();

    TestDisks.writeRandomBlocks(flat, 3, 11, 12, 240); // two rewritten, one new
    VmBackupResult second = backup(source);

    VmBackupResult.DiskResult disk = second.disks().get(0);
    assertFalse(second.changeTrackingEnabled());
    assertEquals(firstChangeId, disk.changedSince(), "asked from the changeId the first backup saved");
    assertNull(disk.fullReason());
    assertEquals(3L * BLOCK, second.bytesRead(), "read exactly the changed 64 KiB blocks");
    assertEquals(3, disk.backup().chunksNew());
    assertTrue(second.bytesNew() >= 3L * BLOCK && second.bytesNew() < 3L * BLOCK + 16 * 1024,
        "stored about the changed bytes (random data does not compress): " + second.bytesNew());
    assertEquals(first.pointIds().get(0), disk.backup().parentId());
    assertEquals(List.of(), vm(source).snapshots());

    assertArrayEquals(TestDisks.read(flat), restoreToFile(second, "scsi0:0"), "the incremental point is a full image");
    assertTrue(check().ok(), () -> check().errors().toString());
  }

  @Test
  void readCutHalfwayFailsTheJobCleanlyRemovesTheSnapshotAndLeavesTheVaultValid() {
    String source = "DC0_H0_VM2";
    Path flat = flatFile(source);
    long[] blocks = new long[256];
    for (int i = 0; i < blocks.length; i++) {
      blocks[i] = i;
    }
    TestDisks.writeRandomBlocks(flat, 4, blocks); // all 16 MiB in use
    AtomicReference<TestDisks.CutDiskReader> cut = new AtomicReference<>();
    VmBackup.Options faulty = VmBackup.Options.defaults(source).withReaders(r -> {
      cut.set(new TestDisks.CutDiskReader(r, 8L << 20));
      return new RetryingDiskReader(cut.get(), 2, Duration.ofMillis(1));
    });

    Throwable e = failure(vertx, () -> VmBackup.run(client, repo, faulty));

    VmBackupException b = assertInstanceOf(VmBackupException.class, e);
    assertTrue(b.isRetryable(), "a cut connection may work next time");
    assertTrue(e.getMessage().startsWith("cannot back up VM '" + source + "' ("), e.getMessage());
    assertTrue(e.getMessage().contains("disk scsi0:0 ('"), e.getMessage());
    assertTrue(e.getMessage().contains("connection reset while reading [LocalDS_0] " + source + "/disk1-flat.vmdk"), e.getMessage());
    assertTrue(e.getMessage().contains("(gave up after 2 attempts)"), e.getMessage());
    assertTrue(e.getMessage().endsWith("' was removed"), e.getMessage());
    assertTrue(cut.get().cuts() >= 2, "the cut read was retried");
    assertEquals(List.of(), vm(source).snapshots(), "the snapshot is removed after a failure");
    assertEquals(List.of(), await(vertx, repo::listPoints), "no recovery point");
    CheckReport report = check();
    assertTrue(report.ok(), report.errors().toString());

    VmBackupResult retry = backup(source);
    assertEquals(16L << 20, retry.bytesRead());
    assertArrayEquals(TestDisks.read(flat), restoreToFile(retry, "scsi0:0"));
  }

  @Test
  void rejectedChangeIdFallsBackToAFullReadThatStoresOnlyNewChunks() {
    String source = "DC0_C0_RP0_VM0";
    Path flat = flatFile(source);
    TestDisks.writeRandomBlocks(flat, 5, 0, 1, 2, 3, 30, 31);
    VmBackupResult first = backup(source);

    // A CBT reset (tracking off and on) makes vCenter forget every changeId.
    VmInfo vm = vm(source);
    await(vertx, () -> client.setChangeTracking(vm, false));
    await(vertx, () -> client.setChangeTracking(vm, true));
    TestDisks.writeRandomBlocks(flat, 6, 3, 90);
    TestDisks.zeroBlocks(flat, 31); // held data in the first point: must come back as zeros

    VmBackupResult second = backup(source);

    VmBackupResult.DiskResult disk = second.disks().get(0);
    assertEquals("*", disk.changedSince());
    assertTrue(disk.fullReason().contains("does not accept changeId " + first.disks().get(0).changeId()), disk.fullReason());
    assertEquals(7L * BLOCK, second.bytesRead(), "the areas in use now and those the previous point held");
    assertEquals(2, disk.backup().chunksNew(), "only the two rewritten blocks are new");
    assertTrue(second.bytesNew() < 2L * BLOCK + 16 * 1024, "stored about the changed bytes: " + second.bytesNew());
    assertArrayEquals(TestDisks.read(flat), restoreToFile(second, "scsi0:0"));

    // The fallback saved a new changeId: the next backup is incremental again.
    TestDisks.writeRandomBlocks(flat, 7, 4);
    VmBackupResult third = backup(source);
    assertEquals(disk.changeId(), third.disks().get(0).changedSince());
    assertEquals(1L * BLOCK, third.bytesRead());
  }

  @Test
  void restoreToANameThatExistsIsAClearErrorAndTouchesNothing() {
    VmBackupResult r = backup("DC0_C0_RP0_VM1");
    VmRecoveryPoint p = point(r);

    Throwable e = failure(vertx, () -> VmRestore.toVsphere(client, repo, p, VmRestore.Options.named("DC0_H0_VM0", dir)));

    assertInstanceOf(VmExistsException.class, e);
    assertEquals("cannot restore VM backup " + r.backupId() + " of 'DC0_C0_RP0_VM1' as VM 'DC0_H0_VM0': vCenter "
        + vcsim.hostPort() + " already has a VM named 'DC0_H0_VM0' (" + vm("DC0_H0_VM0").moref() + ")", e.getMessage());
    assertEquals(List.of(), List.of(dir.toFile().list((d, n) -> n.endsWith(".img"))), "nothing staged");
  }

  @Test
  void restoreIntoAnExistingDatastoreFolderIsAClearError() throws IOException {
    VmBackupResult r = backup("DC0_C0_RP0_VM2");
    Files.createDirectories(vcsim.datastoreDir().resolve("leftover"));
    Files.writeString(vcsim.datastoreDir().resolve("leftover/notes.txt"), "someone's files");

    VmRecoveryPoint p = point(r);
    Throwable e = failure(vertx, () -> VmRestore.toVsphere(client, repo, p, VmRestore.Options.named("leftover", dir)));

    assertInstanceOf(VmExistsException.class, e);
    assertTrue(e.getMessage().endsWith(": datastore folder [LocalDS_0] leftover already exists"), e.getMessage());
    assertEquals("someone's files", Files.readString(vcsim.datastoreDir().resolve("leftover/notes.txt")));
  }

  @Test
  void aVmWithTwoDisksIsBackedUpAsOneBackupAndRestoredWithBothDisksIdentical() throws Exception {
    String source = "DC0_H0_VM3";
    VmInfo vm = vm(source);
    VcsimAdmin.addDisk(vcsim, vm, "[LocalDS_0] DC0_H0_VM3/disk2.vmdk", 4L << 20);
    Path flat1 = flatFile(source);
    Path flat2 = vcsim.datastoreFile("DC0_H0_VM3/disk2-flat.vmdk");
    TestDisks.writeRandomBlocks(flat1, 10, 0, 7);
    TestDisks.writeRandomBlocks(flat2, 11, 1, 63);

    VmBackupResult first = backup(source);
    assertEquals(List.of("scsi0:0", "scsi0:1"), first.disks().stream().map(VmBackupResult.DiskResult::diskName).toList());
    assertEquals(2, first.pointIds().size(), "one recovery point per disk, grouped by backupId");
    VmRecoveryPoint p = point(first);
    assertTrue(p.complete());

    TestDisks.writeRandomBlocks(flat2, 12, 2);
    VmBackupResult second = backup(source);
    assertEquals(List.of(0L, (long) BLOCK), second.disks().stream().map(d -> d.backup().bytesRead()).toList(),
        "each disk continues from its own changeId");

    VmRecoveryPoint latest = point(second);
    VmRestoreResult restored = await(vertx, () -> VmRestore.toVsphere(client, repo, latest, VmRestore.Options.named("restored-h0-vm3", dir)));
    VmHardware got = restored.vm().hardware();
    assertEquals(List.of("scsi0:0", "scsi0:1"), got.disks().stream().map(got::diskName).toList());
    assertEquals(List.of("[LocalDS_0] restored-h0-vm3/restored-h0-vm3.vmdk", "[LocalDS_0] restored-h0-vm3/restored-h0-vm3_1.vmdk"),
        got.disks().stream().map(VmHardware.Disk::fileName).toList());
    assertFalse(restored.poweredOn());
    assertArrayEquals(TestDisks.read(flat1), TestDisks.read(vcsim.datastoreFile("restored-h0-vm3/restored-h0-vm3-flat.vmdk")));
    assertArrayEquals(TestDisks.read(flat2), TestDisks.read(vcsim.datastoreFile("restored-h0-vm3/restored-h0-vm3_1-flat.vmdk")));
  }

  @Test
  void aPackLostFromTheVaultIsStoredAgainByTheNextChangeTrackedBackupThoughNoBlockChanged() throws IOException {
    String source = "DC0_H0_VM4";
    Path flat = flatFile(source);
    TestDisks.writeRandomBlocks(flat, 20, 0, 3, 9, 30, 31, 100);
    VmBackupResult first = backup(source);
    List<Path> packs;
    try (var walk = Files.walk(dir.resolve("vault").resolve("packs"))) {
      packs = walk.filter(Files::isRegularFile).toList();
    }
    assertEquals(1, packs.size(), "the VM's six blocks are in one pack");
    Files.delete(packs.get(0)); // lost: deleted by hand, or by the storage

    VmBackupResult second = backup(source);
    VmBackupResult.DiskResult disk = second.disks().get(0);
    assertEquals(first.disks().get(0).changeId(), disk.changedSince(), "a change-tracked incremental");
    assertNull(disk.fullReason());
    assertEquals(6, disk.backup().chunksNew(), "CBT reported no change, yet the lost chunks are stored again");
    assertEquals(6L * BLOCK, second.bytesRead(), "their blocks, and only those, were read");
    assertArrayEquals(TestDisks.read(flat), restoreToFile(second, "scsi0:0"));
    assertArrayEquals(TestDisks.read(flat), restoreToFile(first, "scsi0:0"), "the older point is whole again");
    assertTrue(check().ok(), () -> check().errors().toString());
  }

  @Test
  void aRestoreThatFailsAfterTheUploadDeletesTheNewFolder() {
    VmBackupResult r = backup("DC0_C0_RP0_VM3");
    VmRecoveryPoint p = point(r);

    Throwable e = failure(vertx, () -> VmRestore.toVsphere(client, repo, p,
        VmRestore.Options.named("half-restored", dir).withComputeResource("no-such-cluster")));

    assertInstanceOf(dev.vaultgate.agent.restore.VmRestoreException.class, e);
    assertEquals("cannot restore VM backup " + r.backupId() + " of 'DC0_C0_RP0_VM3' as VM 'half-restored': datacenter DC0 of vCenter " + vcsim.hostPort()
        + " has no host or cluster named 'no-such-cluster'", e.getMessage());
    assertFalse(Files.exists(vcsim.datastoreDir().resolve("half-restored")), "the uploaded disks are deleted");
    assertNull(await(vertx, () -> client.findVm("half-restored")));
  }
}
