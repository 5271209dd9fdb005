package dev.vaultgate.agent.restore;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.Await.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vaultgate.agent.backup.VmBackup;
import dev.vaultgate.agent.backup.VmBackupResult;
import dev.vaultgate.agent.backup.VmRecoveryPoint;
import dev.vaultgate.agent.backup.VmRecoveryPoints;
import dev.vaultgate.agent.testing.ConnectedVcsim;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.agent.testing.VcsimAdmin;
import dev.vaultgate.agent.testing.VcsimServer;
import dev.vaultgate.agent.vsphere.VmHardware;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.vsphere.VsphereClient;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.FileVaultStorage;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of AWS's VMware restore metadata beyond the name: a subset of the disks ({@code DisksToRestore}), the VM
 * folder ({@code VMPath}), and a datastore without room for the disks. vcsim, a vault in a temporary directory.
 * Datastore space is set through the launcher ({@link VcsimAdmin#setDatastoreSpace}), so this class has a vcsim of
 * its own and puts the space back after each test.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class VmRestoreOptionsTest {
  private static ConnectedVcsim env;
  private static VcsimServer vcsim;
  private static Vertx vertx;
  private static VsphereClient client;

  @TempDir
  Path dir;
  private Repository repo;

  @BeforeAll
  static void start() throws IOException {
    env = ConnectedVcsim.start(16, "--vms", "3", "--clusters", "0");
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
    repo = await(vertx, () -> Repository.init(vertx, new FileVaultStorage(vertx, dir.resolve("vault")),
        LocalKeyWrapper.create(dir.resolve("master.key")), VaultSettings.defaults()));
  }

  @AfterEach
  void closeVault() throws Exception {
    if (repo != null) {
      repo.close();
    }
    VcsimAdmin.setDatastoreSpace(vcsim, "LocalDS_0", 1L << 40, 1L << 39);
  }

  private VmInfo vm(String name) {
    return await(vertx, () -> client.vm(name));
  }

  private VmRecoveryPoint backup(String vmName) {
    VmBackupResult r = await(vertx, () -> VmBackup.run(client, repo, VmBackup.Options.defaults(vmName)));
    return await(vertx, () -> VmRecoveryPoints.load(repo, r.backupId()));
  }

  private String what(VmRecoveryPoint p, String source, String target) {
    return "cannot restore VM backup " + p.backupId() + " of '" + source + "' as VM '" + target + "'";
  }

  @Test
  void disksToRestoreNamingOneOfTwoDisksRestoresOnlyThatDisk() throws Exception {
    String source = "DC0_H0_VM0";
    VcsimAdmin.addDisk(vcsim, vm(source), "[LocalDS_0] DC0_H0_VM0/disk2.vmdk", 4L << 20);
    Path flat2 = vcsim.datastoreFile("DC0_H0_VM0/disk2-flat.vmdk");
    TestDisks.writeRandomBlocks(vcsim.datastoreFile("DC0_H0_VM0/disk1-flat.vmdk"), 1, 0, 3);
    TestDisks.writeRandomBlocks(flat2, 2, 1, 63);
    VmRecoveryPoint p = backup(source);
    VmHardware.Disk second = p.metadata().hardware().disk("scsi0:1");
    List<String> only = DiskSelection.parse("[{\"DiskId\":\"" + second.key() + "\",\"Label\":\"" + second.label() + "\"}]",
        p.metadata().hardware(), p.diskNames());
    assertEquals(List.of("scsi0:1"), only);

    VmRestoreResult restored = await(vertx, () -> VmRestore.toVsphere(client, repo, p,
        VmRestore.Options.named("second-disk-only", dir).withDisks(only)));

    VmHardware got = restored.vm().hardware();
    assertEquals(List.of("scsi0:1"), got.disks().stream().map(got::diskName).toList(), "only the disk asked for, on its own unit");
    assertEquals(4L << 20, got.disks().get(0).capacityBytes());
    assertEquals("[LocalDS_0] second-disk-only/second-disk-only.vmdk", got.disks().get(0).fileName());
    assertArrayEquals(TestDisks.read(flat2), TestDisks.read(vcsim.datastoreFile("second-disk-only/second-disk-only-flat.vmdk")));
    assertEquals(List.of("second-disk-only-flat.vmdk", "second-disk-only.vmdk"),
        List.of(vcsim.datastoreFile("second-disk-only").toFile().list()).stream().filter(n -> n.endsWith(".vmdk")).sorted().toList(),
        "the other disk was not uploaded");
  }

  @Test
  void aDiskTheBackupDoesNotHaveIsAClearErrorBeforeAnythingIsUploaded() {
    VmRecoveryPoint p = backup("DC0_H0_VM1");

    Throwable e = failure(vertx, () -> VmRestore.toVsphere(client, repo, p,
        VmRestore.Options.named("no-such-disk", dir).withDisks(List.of("scsi0:7"))));

    assertInstanceOf(VmRestoreException.class, e);
    assertEquals(what(p, "DC0_H0_VM1", "no-such-disk") + ": the backup has no disk scsi0:7 (it has [scsi0:0])", e.getMessage());
    assertFalse(Files.exists(vcsim.datastoreFile("no-such-disk")));
  }

  @Test
  void vmPathPutsTheNewVmInThatFolder() throws Exception {
    VcsimAdmin.createVmFolder(vcsim, "DC0", "restored-here");
    VmRecoveryPoint p = backup("DC0_H0_VM2");

    await(vertx, () -> VmRestore.toVsphere(client, repo, p, VmRestore.Options.named("in-a-folder", dir).withFolder("/DC0/vm/restored-here")));
    await(vertx, () -> VmRestore.toVsphere(client, repo, p, VmRestore.Options.named("in-a-folder-2", dir).withFolder("restored-here")));

    assertEquals("restored-here", VcsimAdmin.parentFolder(vcsim, "in-a-folder"), "absolute inventory path");
    assertEquals("restored-here", VcsimAdmin.parentFolder(vcsim, "in-a-folder-2"), "relative to the datacenter's VM folder");
    assertEquals("vm", VcsimAdmin.parentFolder(vcsim, "DC0_H0_VM2"), "without VMPath a VM goes to the datacenter's VM folder");
    VmInfo source = vm("DC0_H0_VM2");
    VmInfo copy = vm("in-a-folder");
    assertEquals("/DC0/vm", await(vertx, () -> client.vmFolderPath(source)));
    assertEquals("/DC0/vm/restored-here", await(vertx, () -> client.vmFolderPath(copy)),
        "the path a backup stores as VMPath is the one a restore takes");
  }

  @Test
  void aVmPathThatDoesNotExistIsAClearErrorBeforeAnythingIsUploaded() {
    VmRecoveryPoint p = backup("DC0_H0_VM1");

    Throwable e = failure(vertx, () -> VmRestore.toVsphere(client, repo, p,
        VmRestore.Options.named("lost-folder", dir).withFolder("/DC0/vm/nowhere")));

    assertInstanceOf(VmRestoreException.class, e);
    assertEquals(what(p, "DC0_H0_VM1", "lost-folder") + ": vCenter " + vcsim.hostPort() + " has no VM folder '/DC0/vm/nowhere'",
        e.getMessage());
    assertFalse(Files.exists(vcsim.datastoreFile("lost-folder")), "nothing uploaded");
    assertNull(await(vertx, () -> client.findVm("lost-folder")));
  }

  @Test
  void aDatastoreWithoutRoomForTheDisksIsRefusedBeforeTheUpload() throws Exception {
    VmRecoveryPoint p = backup("DC0_H0_VM1");
    VcsimAdmin.setDatastoreSpace(vcsim, "LocalDS_0", 100L << 20, 10L << 20);

    Throwable e = failure(vertx, () -> VmRestore.toVsphere(client, repo, p, VmRestore.Options.named("too-big", dir)));

    assertInstanceOf(VmRestoreException.class, e);
    assertEquals(what(p, "DC0_H0_VM1", "too-big") + ": datastore LocalDS_0 has 10.0 MiB free, the 1 disk(s) to restore need 16.0 MiB",
        e.getMessage());
    assertFalse(Files.exists(vcsim.datastoreFile("too-big")), "nothing uploaded");
    assertEquals(List.of(), List.of(dir.toFile().list((d, n) -> n.endsWith(".img"))), "nothing staged");
    assertNull(await(vertx, () -> client.findVm("too-big")));

    VcsimAdmin.setDatastoreSpace(vcsim, "LocalDS_0", 100L << 20, 16L << 20);
    await(vertx, () -> VmRestore.toVsphere(client, repo, p, VmRestore.Options.named("just-fits", dir)));
  }
}
