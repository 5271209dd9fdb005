package dev.vaultgate.agent.vsphere;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.ConnectedVcsim;
import dev.vaultgate.agent.testing.VcsimServer;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link VsphereClient} against the vCenter simulator: login and its errors, inventory, snapshots, change tracking. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class VsphereClientTest {
  private static final int BLOCK = 64 * 1024;

  private static ConnectedVcsim env;
  private static VcsimServer vcsim;
  private static Vertx vertx;
  private static VsphereClient client;

  @BeforeAll
  static void start() throws IOException {
    env = ConnectedVcsim.start(16);
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

  private static VcenterEndpoint endpoint(String password, String thumbprint) {
    return VcenterEndpoint.of(vcsim.url(), vcsim.user(), password, thumbprint);
  }

  @Test
  void inventoryListsEveryVmWithHostDatastoreAndDisks() {
    List<VmInfo> vms = await(vertx, client::listVms);
    List<String> names = vms.stream().map(VmInfo::name).toList();
    assertTrue(names.containsAll(List.of("DC0_H0_VM0", "DC0_H0_VM1", "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1")), names.toString());

    VmInfo vm = vms.stream().filter(v -> v.name().equals("DC0_H0_VM0")).findFirst().orElseThrow();
    assertTrue(vm.moref().startsWith("vm-"), vm.moref());
    assertNotNull(vm.instanceUuid());
    assertEquals("DC0", vm.datacenter());
    assertEquals("DC0_H0", vm.host());
    assertEquals("DC0_H0", vm.computeResource());
    assertEquals(List.of("LocalDS_0"), vm.datastores());
    assertEquals(List.of("DC0_DVPG0"), vm.networks(), "vcsim puts every VM on the distributed port group");
    assertEquals("poweredOn", vm.powerState());
    assertEquals("[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmx", vm.vmPathName());

    VmHardware hw = vm.hardware();
    assertEquals(1, hw.disks().size());
    VmHardware.Disk disk = hw.disks().get(0);
    assertTrue(disk.key() > 0);
    assertEquals(16L << 20, disk.capacityBytes());
    assertEquals("[LocalDS_0] DC0_H0_VM0/disk1.vmdk", disk.fileName());
    assertEquals("scsi0:0", hw.diskName(disk));
    assertEquals("ParaVirtualSCSIController", hw.controller(disk.controllerKey()).type());
    assertEquals(1, hw.nics().size());
    assertEquals("VirtualE1000", hw.nics().get(0).type());
    assertNotNull(hw.nics().get(0).switchUuid());
    assertNotNull(hw.nics().get(0).portgroupKey());
    assertEquals("otherGuest", hw.guestId());
    assertTrue(hw.numCpu() > 0 && hw.memoryMb() > 0);

    VmInfo clustered = vms.stream().filter(v -> v.name().equals("DC0_C0_RP0_VM0")).findFirst().orElseThrow();
    assertEquals("DC0_C0", clustered.computeResource());
    assertNotNull(clustered.hardware().nics().get(0).switchUuid(), "a cluster VM sits on a distributed port group");
  }

  @Test
  void hardwareSurvivesItsJsonForm() {
    VmHardware hw = await(vertx, () -> client.vm("DC0_C0_RP0_VM1")).hardware();
    assertEquals(hw, VmHardware.fromJson(new io.vertx.core.json.JsonObject(hw.toJson().encode())));
  }

  @Test
  void unknownVmIsAClearError() {
    Throwable e = failure(vertx, () -> client.vm("no-such-vm"));
    assertInstanceOf(VmNotFoundException.class, e);
    assertEquals("vCenter " + vcsim.hostPort() + " has no VM named 'no-such-vm'", e.getMessage());
  }

  @Test
  void wrongPasswordIsAClearErrorNamingVcenterAndUser() {
    Throwable e = failure(vertx, () -> VsphereClient.connect(vertx, endpoint("not-the-password", vcsim.thumbprintSha256())));
    assertInstanceOf(VcenterLoginException.class, e);
    assertEquals("cannot log in to vCenter " + vcsim.url() + " as " + vcsim.user() + ": the user name or password is wrong", e.getMessage());
    assertFalse(((VsphereException) e).isRetryable());
  }

  @Test
  void changedThumbprintIsAClearErrorNamingHostAndBothThumbprints() {
    String pinned = "AB:".repeat(31) + "AB";
    Throwable e = failure(vertx, () -> VsphereClient.connect(vertx, endpoint(vcsim.password(), pinned)));
    VcenterCertificateException c = assertInstanceOf(VcenterCertificateException.class, e);
    assertEquals(vcsim.thumbprintSha256(), c.presentedThumbprint());
    assertEquals(pinned, c.pinnedThumbprint());
    assertEquals("cannot log in to vCenter " + vcsim.url() + ": vCenter " + vcsim.hostPort()
        + " presented a certificate with SHA-256 thumbprint " + vcsim.thumbprintSha256() + ", but the pinned thumbprint is " + pinned
        + " (if the certificate was replaced on purpose, update the pinned thumbprint)", e.getMessage());

    // The wrong pin did not leak into yavijava's JVM-wide TLS context: the right one still logs in.
    VsphereClient again = await(vertx, () -> VsphereClient.connect(vertx, endpoint(vcsim.password(), vcsim.thumbprintSha256())));
    await(vertx, again::close);
  }

  @Test
  void unreachableVcenterIsARetryableError() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    VcenterEndpoint nowhere = VcenterEndpoint.of("https://127.0.0.1:" + port + "/sdk", vcsim.user(), vcsim.password(), vcsim.thumbprintSha256());
    Throwable e = failure(vertx, () -> VsphereClient.connect(vertx, nowhere));
    VsphereException v = assertInstanceOf(VsphereException.class, e);
    assertTrue(v.isRetryable(), e.toString());
    assertTrue(e.getMessage().startsWith("cannot log in to vCenter https://127.0.0.1:" + port + "/sdk as " + vcsim.user()
        + ": vCenter is unreachable"), e.getMessage());
  }

  @Test
  void callsReturnAtOnceOnTheEventLoopAndCompleteOnIt() {
    Boolean[] doneAtReturn = new Boolean[1];
    String[] completedOn = new String[1];
    await(vertx, () -> {
      String loop = Thread.currentThread().getName();
      var f = client.listVms().map(vms -> {
        completedOn[0] = Thread.currentThread().getName();
        return loop;
      });
      doneAtReturn[0] = f.isComplete();
      return f;
    });
    assertFalse(doneAtReturn[0], "the SOAP call runs on the vsphere executor, not in the caller");
    assertTrue(completedOn[0].startsWith("vert.x-eventloop-thread"), completedOn[0]);
  }

  @Test
  void customAttributesAreWrittenAndReadBack() {
    VmInfo vm = await(vertx, () -> client.vm("DC0_C0_RP0_VM1"));
    await(vertx, () -> client.setCustomAttribute(vm, "vaultgate.lastBackup", "COMPLETED 2024-01-01T00:00:00Z"));
    await(vertx, () -> client.setCustomAttribute(vm, "vaultgate.lastBackup", "COMPLETED 2024-01-02T00:00:00Z"));
    assertEquals(java.util.Map.of("vaultgate.lastBackup", "COMPLETED 2024-01-02T00:00:00Z"),
        await(vertx, () -> client.refresh(vm)).customAttributes());
  }

  @Test
  void snapshotCarriesChangeIdsAndChangedAreasPageToTheCapacity() throws Exception {
    VmInfo vm = await(vertx, () -> client.vm("DC0_H0_VM1"));
    VmHardware.Disk disk = vm.hardware().disks().get(0);
    // Data in blocks 0 and 3, written straight into the datastore's directory.
    byte[] data = new byte[BLOCK];
    new Random(7).nextBytes(data);
    try (FileChannel ch = FileChannel.open(vcsim.datastoreFile(disk.file().flatExtent().path()), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(data), 0);
      ch.write(ByteBuffer.wrap(data), 3L * BLOCK);
    }
    await(vertx, () -> client.setChangeTracking(vm, true));
    assertTrue(await(vertx, () -> client.refresh(vm)).changeTrackingEnabled());

    SnapshotInfo first = await(vertx, () -> client.createSnapshot(vm, "vaultgate-test", "test", false));
    try {
      VmHardware.Disk snapDisk = first.hardware().disks().get(0);
      assertNotNull(snapDisk.changeId(), "the snapshot's disk carries a changeId");
      assertEquals(List.of("vaultgate-test"), await(vertx, () -> client.refresh(vm)).snapshots());
      assertEquals(List.of(new DiskArea(0, BLOCK), new DiskArea(3L * BLOCK, BLOCK)),
          await(vertx, () -> client.changedAreas(first, snapDisk, "*")));
      assertEquals(List.of(), await(vertx, () -> client.changedAreas(first, snapDisk, snapDisk.changeId())));

      String unknown = snapDisk.changeId().substring(0, snapDisk.changeId().lastIndexOf('/') + 1) + "999";
      Throwable e = failure(vertx, () -> client.changedAreas(first, snapDisk, unknown));
      assertInstanceOf(ChangeIdRejectedException.class, e);
      assertTrue(e.getMessage().contains("does not accept changeId " + unknown), e.getMessage());
    } finally {
      await(vertx, () -> client.removeSnapshot(first));
    }
    assertEquals(List.of(), await(vertx, () -> client.refresh(vm)).snapshots());
    assertNotEquals(null, await(vertx, () -> client.refresh(vm)).hardware().disks().get(0).changeId());
  }

  @Test
  void findVmAnswersNullForAnUnknownName() {
    assertNull(await(vertx, () -> client.findVm("nobody")));
  }
}
