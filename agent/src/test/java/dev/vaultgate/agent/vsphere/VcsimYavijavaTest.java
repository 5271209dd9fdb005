package dev.vaultgate.agent.vsphere;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.VcsimServer;
import com.vmware.vim25.DiskChangeExtent;
import com.vmware.vim25.DiskChangeInfo;
import com.vmware.vim25.FileFault;
import com.vmware.vim25.InvalidArgument;
import com.vmware.vim25.InvalidLogin;
import com.vmware.vim25.ManagedObjectReference;
import com.vmware.vim25.TaskInfoState;
import com.vmware.vim25.VirtualDevice;
import com.vmware.vim25.VirtualDeviceFileBackingInfo;
import com.vmware.vim25.VirtualDisk;
import com.vmware.vim25.VirtualDiskFlatVer2BackingInfo;
import com.vmware.vim25.VirtualMachineConfigSpec;
import com.vmware.vim25.mo.InventoryNavigator;
import com.vmware.vim25.mo.ManagedEntity;
import com.vmware.vim25.mo.ServiceInstance;
import com.vmware.vim25.mo.Task;
import com.vmware.vim25.mo.VirtualMachine;
import com.vmware.vim25.mo.VirtualMachineSnapshot;
import com.vmware.vim25.ws.CustomSSLTrustContextCreator;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * yavijava 6.0.05 against the project's vCenter simulator ({@code scripts/vcsim}): login, inventory
 * with disks, change tracking through snapshots and QueryChangedDiskAreas, datastore file access.
 *
 * <p>The simulator is started through {@link VcsimServer}. The vCenter certificate is
 * pinned by its SHA-256 thumbprint (printed by the script); the datastore HTTP client trusts the
 * certificate file the script names.
 */
class VcsimYavijavaTest {

  private static final int BLOCK = 64 * 1024;

  private static VcsimServer vcsim;
  private static Map<String, String> env;
  private static ServiceInstance si;
  private static HttpClient http;

  @BeforeAll
  static void startSimulator() throws Exception {
    vcsim = VcsimServer.start(16);
    env = vcsim.env();
    si = login(env.get("VCSIM_USER"), env.get("VCSIM_PASSWORD"));
    http =
        HttpClient.newBuilder()
            .sslContext(trusting(Path.of(env.get("VCSIM_CERT"))))
            .connectTimeout(Duration.ofSeconds(10))
            .build();
  }

  @AfterAll
  static void stopSimulator() throws Exception {
    if (si != null) {
      si.getServerConnection().logout();
    }
    if (vcsim != null) {
      vcsim.close();
    }
  }

  @Test
  void serviceContentIsAVcenter60One() {
    assertEquals("6.0", si.getAboutInfo().getApiVersion());
    assertEquals("VirtualCenter", si.getAboutInfo().getApiType());
  }

  @Test
  void wrongPasswordIsRefusedWithInvalidLogin() {
    assertThrows(InvalidLogin.class, () -> login(env.get("VCSIM_USER"), "not-the-password"));
  }

  @Test
  void certificateWithAnotherThumbprintIsRefused() {
    // yavijava keeps the SSLContext made from the first TrustManager it is given for the whole JVM
    // (CustomSSLTrustContextCreator); forget it around this login so the wrong pin is really used.
    CustomSSLTrustContextCreator.setContextAlreadyCreated(false);
    try {
      Exception e =
          assertThrows(
              Exception.class,
              () ->
                  new ServiceInstance(
                      new URL(env.get("VCSIM_URL")),
                      env.get("VCSIM_USER"),
                      env.get("VCSIM_PASSWORD"),
                      new PinnedThumbprintTrustManager(env.get("VCSIM_HOST"), "00".repeat(32))));
      assertTrue(String.valueOf(rootCause(e).getMessage()).contains("but the pinned thumbprint is 00:00:"), () -> rootCause(e).toString());
    } finally {
      CustomSSLTrustContextCreator.setContextAlreadyCreated(false);
    }
  }

  @Test
  void inventoryListsEveryVmWithItsDisksFromConfigHardwareDevice() throws Exception {
    ManagedEntity[] entities = new InventoryNavigator(si.getRootFolder()).searchManagedEntities("VirtualMachine");
    List<String> names = new ArrayList<>();
    for (ManagedEntity e : entities) {
      VirtualMachine vm = (VirtualMachine) e;
      names.add(vm.getName());
      List<VirtualDisk> disks = disks(vm.getConfig().getHardware().getDevice());
      assertEquals(1, disks.size(), vm.getName());
      VirtualDisk disk = disks.get(0);
      assertTrue(disk.getKey() > 0, "device key read from config.hardware.device");
      assertEquals(16L << 20, disk.getCapacityInKB() * 1024L, vm.getName());
      String file = ((VirtualDeviceFileBackingInfo) disk.getBacking()).getFileName();
      assertEquals("[LocalDS_0] " + vm.getName() + "/disk1.vmdk", file);
      assertNotNull(vm.getConfig().getInstanceUuid());
    }
    assertTrue(names.containsAll(List.of("DC0_H0_VM0", "DC0_H0_VM1", "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1")), names.toString());
  }

  @Test
  void changedAreasSinceASnapshotAreExactlyTheRewritten64KiBBlocks() throws Exception {
    VirtualMachine vm = vm("DC0_H0_VM0");
    VirtualDisk disk = disks(vm.getConfig().getHardware().getDevice()).get(0);
    String flat = flatFile(disk);
    long capacity = disk.getCapacityInKB() * 1024L;

    // A disk with data in blocks 0, 1 and 5; the rest reads as zeros.
    byte[] image = new byte[(int) capacity];
    Random random = new Random(42);
    fill(random, image, 0, 2 * BLOCK);
    fill(random, image, 5 * BLOCK, BLOCK);
    put(flat, image);

    enableChangeTracking(vm);
    VirtualMachineSnapshot first = snapshot(vm, "first");
    VirtualMachineSnapshot second = null;
    try {
      String firstChangeId = changeId(first, disk.getKey());
      assertNotNull(firstChangeId, "the snapshot's disk backing carries a changeId");

      assertEquals(
          List.of(extent(0, 2 * BLOCK), extent(5 * BLOCK, BLOCK)),
          changedAreas(vm, first, disk.getKey(), "*", capacity),
          "'*' answers the areas that are not zero");

      // Rewrite a few bytes in block 1, all of block 9 and a range across blocks 100 and 101.
      image[BLOCK + 100] ^= 0x5a;
      fill(random, image, 9 * BLOCK, BLOCK);
      fill(random, image, 100 * BLOCK + 1000, BLOCK);
      put(flat, image);
      assertArrayEquals(
          Arrays.copyOfRange(image, 9 * BLOCK, 10 * BLOCK), getRange(flat, 9L * BLOCK, BLOCK), "ranged GET");

      second = snapshot(vm, "second");
      String secondChangeId = changeId(second, disk.getKey());
      assertNotEquals(firstChangeId, secondChangeId);
      assertEquals(
          secondChangeId,
          ((VirtualDiskFlatVer2BackingInfo) disks(vm.getConfig().getHardware().getDevice()).get(0).getBacking()).getChangeId(),
          "the VM's own disk backing shows the latest changeId");

      assertEquals(
          List.of(extent(BLOCK, BLOCK), extent(9 * BLOCK, BLOCK), extent(100 * BLOCK, 2 * BLOCK)),
          changedAreas(vm, second, disk.getKey(), firstChangeId, capacity));
      assertEquals(
          List.of(),
          changedAreas(vm, second, disk.getKey(), secondChangeId, capacity),
          "nothing changed since the second snapshot");

      // The areas of a window start at startOffset and are clipped to it.
      DiskChangeInfo window = vm.queryChangedDiskAreas(second, disk.getKey(), 9L * BLOCK + 10, firstChangeId);
      assertEquals(9L * BLOCK + 10, window.getStartOffset());
      assertEquals(capacity - (9L * BLOCK + 10), window.getLength());
      assertEquals(9L * BLOCK + 10, window.getChangedArea()[0].getStart());
      assertEquals(BLOCK - 10, window.getChangedArea()[0].getLength());
    } finally {
      removeSnapshot(first);
      if (second != null) {
        removeSnapshot(second);
      }
    }
    assertTrue(vm.getSnapshot() == null || vm.getSnapshot().getRootSnapshotList() == null
        || vm.getSnapshot().getRootSnapshotList().length == 0, "snapshots removed");
  }

  @Test
  void unknownChangeIdIsRefusedWithFileFaultAndMalformedOneWithInvalidArgument() throws Exception {
    VirtualMachine vm = vm("DC0_H0_VM1");
    VirtualDisk disk = disks(vm.getConfig().getHardware().getDevice()).get(0);
    enableChangeTracking(vm);
    VirtualMachineSnapshot snap = snapshot(vm, "faults");
    try {
      String known = changeId(snap, disk.getKey());
      String unknown = known.substring(0, known.lastIndexOf('/') + 1) + "999";
      assertThrows(FileFault.class, () -> vm.queryChangedDiskAreas(snap, disk.getKey(), 0, unknown));
      assertThrows(InvalidArgument.class, () -> vm.queryChangedDiskAreas(snap, disk.getKey(), 0, "not-a-change-id"));
      assertThrows(InvalidArgument.class, () -> vm.queryChangedDiskAreas(snap, 99999, 0, "*"));
    } finally {
      removeSnapshot(snap);
    }
  }

  @Test
  void turningChangeTrackingOffForgetsEarlierChangeIds() throws Exception {
    VirtualMachine vm = vm("DC0_C0_RP0_VM0");
    VirtualDisk disk = disks(vm.getConfig().getHardware().getDevice()).get(0);
    enableChangeTracking(vm);
    VirtualMachineSnapshot before = snapshot(vm, "before-reset");
    String old = changeId(before, disk.getKey());
    removeSnapshot(before);

    VirtualMachineConfigSpec off = new VirtualMachineConfigSpec();
    off.setChangeTrackingEnabled(false);
    waitFor(vm.reconfigVM_Task(off));
    enableChangeTracking(vm);

    VirtualMachineSnapshot after = snapshot(vm, "after-reset");
    try {
      assertThrows(FileFault.class, () -> vm.queryChangedDiskAreas(after, disk.getKey(), 0, old));
      assertNotNull(vm.queryChangedDiskAreas(after, disk.getKey(), 0, "*"));
    } finally {
      removeSnapshot(after);
    }
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** Walks the windows of QueryChangedDiskAreas the way a backup reads them. */
  private static List<Extent> changedAreas(
      VirtualMachine vm, VirtualMachineSnapshot snap, int deviceKey, String changeId, long capacity)
      throws Exception {
    List<DiskChangeExtent> areas = new ArrayList<>();
    long offset = 0;
    while (offset < capacity) {
      DiskChangeInfo info = vm.queryChangedDiskAreas(snap, deviceKey, offset, changeId);
      assertEquals(offset, info.getStartOffset());
      assertTrue(info.getLength() > 0);
      if (info.getChangedArea() != null) {
        areas.addAll(Arrays.asList(info.getChangedArea()));
      }
      offset = info.getStartOffset() + info.getLength();
    }
    return areas.stream().map(a -> extent(a.getStart(), a.getLength())).toList();
  }

  /** A changed area, compared by value (DiskChangeExtent has no equals). */
  private record Extent(long start, long length) {}

  private static Extent extent(long start, long length) {
    return new Extent(start, length);
  }

  private static void fill(Random random, byte[] image, int from, int length) {
    byte[] chunk = new byte[length];
    random.nextBytes(chunk);
    System.arraycopy(chunk, 0, image, from, length);
  }

  private static VirtualMachine vm(String name) throws Exception {
    VirtualMachine vm = (VirtualMachine) new InventoryNavigator(si.getRootFolder()).searchManagedEntity("VirtualMachine", name);
    assertNotNull(vm, name);
    return vm;
  }

  private static List<VirtualDisk> disks(VirtualDevice[] devices) {
    List<VirtualDisk> disks = new ArrayList<>();
    for (VirtualDevice d : devices) {
      if (d instanceof VirtualDisk disk) {
        disks.add(disk);
      }
    }
    return disks;
  }

  /** "[LocalDS_0] VM/disk1.vmdk" → "VM/disk1-flat.vmdk": the descriptor's extent, the disk's bytes. */
  private static String flatFile(VirtualDisk disk) {
    String file = ((VirtualDeviceFileBackingInfo) disk.getBacking()).getFileName();
    String path = file.substring(file.indexOf(']') + 1).trim();
    return path.replaceFirst("\\.vmdk$", "-flat.vmdk");
  }

  private static void enableChangeTracking(VirtualMachine vm) throws Exception {
    VirtualMachineConfigSpec spec = new VirtualMachineConfigSpec();
    spec.setChangeTrackingEnabled(true);
    waitFor(vm.reconfigVM_Task(spec));
    assertTrue(vm.getConfig().getChangeTrackingEnabled());
  }

  private static VirtualMachineSnapshot snapshot(VirtualMachine vm, String name) throws Exception {
    Task task = vm.createSnapshot_Task(name, "vaultgate test", false, false);
    waitFor(task);
    ManagedObjectReference ref = (ManagedObjectReference) task.getTaskInfo().getResult();
    return new VirtualMachineSnapshot(si.getServerConnection(), ref);
  }

  private static void removeSnapshot(VirtualMachineSnapshot snap) throws Exception {
    waitFor(snap.removeSnapshot_Task(false));
  }

  private static String changeId(VirtualMachineSnapshot snap, int deviceKey) {
    for (VirtualDisk d : disks(snap.getConfig().getHardware().getDevice())) {
      if (d.getKey() == deviceKey) {
        return ((VirtualDiskFlatVer2BackingInfo) d.getBacking()).getChangeId();
      }
    }
    throw new AssertionError("no disk " + deviceKey + " in the snapshot's config");
  }

  private static void waitFor(Task task) throws Exception {
    String state = task.waitForTask(20, 20);
    assertEquals(TaskInfoState.success.toString(), state, () -> {
      try {
        return String.valueOf(task.getTaskInfo().getError());
      } catch (Exception e) {
        return e.toString();
      }
    });
  }

  private static URI folderUri(String path) {
    return URI.create(
        "https://" + env.get("VCSIM_HOST") + "/folder/" + path + "?dcPath="
            + URLEncoder.encode(env.get("VCSIM_DATACENTER"), StandardCharsets.UTF_8) + "&dsName="
            + URLEncoder.encode(env.get("VCSIM_DATASTORE"), StandardCharsets.UTF_8));
  }

  private static void put(String path, byte[] content) throws Exception {
    HttpResponse<Void> res =
        http.send(
            HttpRequest.newBuilder(folderUri(path))
                .header("Cookie", si.getServerConnection().getSessionStr())
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content))
                .build(),
            HttpResponse.BodyHandlers.discarding());
    assertEquals(200, res.statusCode(), "PUT " + path);
  }

  private static byte[] getRange(String path, long offset, int length) throws Exception {
    HttpResponse<byte[]> res =
        http.send(
            HttpRequest.newBuilder(folderUri(path))
                .header("Cookie", si.getServerConnection().getSessionStr())
                .header("Range", "bytes=" + offset + "-" + (offset + length - 1))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(206, res.statusCode(), "ranged GET " + path);
    return res.body();
  }

  private static ServiceInstance login(String user, String password) throws Exception {
    return new ServiceInstance(
        new URL(env.get("VCSIM_URL")), user, password, new PinnedThumbprintTrustManager(env.get("VCSIM_HOST"), env.get("VCSIM_THUMBPRINT_SHA256")));
  }

  private static SSLContext trusting(Path pem) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry(
        "vcsim",
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(Files.readAllBytes(pem))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static Throwable rootCause(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }
}
