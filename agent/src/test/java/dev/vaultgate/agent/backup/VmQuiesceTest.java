package dev.vaultgate.agent.backup;

import static dev.vaultgate.agent.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.ConnectedVcsim;
import dev.vaultgate.agent.testing.VcsimAdmin;
import dev.vaultgate.agent.testing.VcsimServer;
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
 * Quiesced snapshots: taken when asked and VMware Tools runs in the guest (set through vcsim's launcher, whose VMs
 * otherwise never run Tools); when asked and Tools does not run, the backup is crash-consistent and says so in the
 * result and in every disk point's metadata; not asked, no quiescing and no note.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class VmQuiesceTest {
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
  void closeVault() {
    if (repo != null) {
      repo.close();
    }
  }

  private VmBackupResult backup(String vmName, boolean quiesce) {
    return await(vertx, () -> VmBackup.run(client, repo, VmBackup.Options.defaults(vmName).withQuiesce(quiesce)));
  }

  private VmPointMetadata metadata(VmBackupResult r) {
    return await(vertx, () -> VmRecoveryPoints.load(repo, r.backupId())).metadata();
  }

  @Test
  void aRunningVmWithToolsGetsAQuiescedSnapshot() throws Exception {
    VcsimAdmin.setToolsRunning(vcsim, "DC0_H0_VM0", true);
    assertTrue(await(vertx, () -> client.vm("DC0_H0_VM0").compose(client::toolsRunning)));

    VmBackupResult r = backup("DC0_H0_VM0", true);

    assertTrue(r.quiesced());
    assertEquals(List.of(), r.warnings());
    VmPointMetadata m = metadata(r);
    assertTrue(m.quiesced());
    assertNull(m.quiesceNote());
  }

  @Test
  void withoutToolsTheBackupIsCrashConsistentAndItsPointsSaySo() {
    assertFalse(await(vertx, () -> client.vm("DC0_H0_VM1").compose(client::toolsRunning)), "vcsim's VMs do not run Tools");

    VmBackupResult r = backup("DC0_H0_VM1", true);

    assertFalse(r.quiesced());
    String note = "a quiesced snapshot was asked for, but VMware Tools is not running in the guest; the backup is crash-consistent";
    assertEquals(List.of(note), r.warnings());
    VmPointMetadata m = metadata(r);
    assertFalse(m.quiesced());
    assertEquals(note, m.quiesceNote());
  }

  @Test
  void notAskedNoQuiescingAndNoNoteEvenWithTools() throws Exception {
    VcsimAdmin.setToolsRunning(vcsim, "DC0_H0_VM2", true);

    VmBackupResult r = backup("DC0_H0_VM2", false);

    assertFalse(r.quiesced());
    assertEquals(List.of(), r.warnings());
    assertNull(metadata(r).quiesceNote());
  }
}
