package dev.vaultgate.agent.testing;

import com.vmware.vim25.ManagedObjectReference;
import com.vmware.vim25.VirtualDeviceConfigSpec;
import com.vmware.vim25.VirtualDeviceConfigSpecFileOperation;
import com.vmware.vim25.VirtualDeviceConfigSpecOperation;
import com.vmware.vim25.VirtualDisk;
import com.vmware.vim25.VirtualDiskFlatVer2BackingInfo;
import com.vmware.vim25.VirtualMachineConfigSpec;
import com.vmware.vim25.mo.Datacenter;
import com.vmware.vim25.mo.InventoryNavigator;
import com.vmware.vim25.mo.ServiceInstance;
import com.vmware.vim25.mo.Task;
import com.vmware.vim25.mo.VirtualMachine;
import com.vmware.vim25.ws.CustomSSLTrustContextCreator;
import dev.vaultgate.agent.vsphere.DatastorePath;
import dev.vaultgate.agent.vsphere.PinnedThumbprintTrustManager;
import dev.vaultgate.agent.vsphere.VmHardware;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.vsphere.VsphereClient;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/** What an administrator does in vCenter behind the gateway's back, through a session of its own (blocking; tests only). */
public final class VcsimAdmin {
  private VcsimAdmin() {
  }

  private static ServiceInstance login(VcsimServer vcsim) throws Exception {
    synchronized (VsphereClient.class) {
      CustomSSLTrustContextCreator.setContextAlreadyCreated(false);
      ServiceInstance si = new ServiceInstance(new URL(vcsim.url()), vcsim.user(), vcsim.password(),
          new PinnedThumbprintTrustManager(vcsim.hostPort(), vcsim.thumbprintSha256()));
      CustomSSLTrustContextCreator.setContextAlreadyCreated(false);
      return si;
    }
  }

  /** Creates a VM folder {@code name} in the datacenter's VM folder. */
  public static void createVmFolder(VcsimServer vcsim, String datacenter, String name) throws Exception {
    ServiceInstance si = login(vcsim);
    try {
      Datacenter dc = (Datacenter) new InventoryNavigator(si.getRootFolder()).searchManagedEntity("Datacenter", datacenter);
      dc.getVmFolder().createFolder(name);
    } finally {
      si.getServerConnection().logout();
    }
  }

  /** The name of the folder the VM is in. */
  public static String parentFolder(VcsimServer vcsim, String vmName) throws Exception {
    ServiceInstance si = login(vcsim);
    try {
      VirtualMachine vm = (VirtualMachine) new InventoryNavigator(si.getRootFolder()).searchManagedEntity("VirtualMachine", vmName);
      if (vm == null) {
        throw new IllegalStateException("no VM " + vmName);
      }
      return vm.getParent().getName();
    } finally {
      si.getServerConnection().logout();
    }
  }

  /** Makes the datastore report this capacity and free space (the launcher's /vaultgate/datastore-space). */
  public static void setDatastoreSpace(VcsimServer vcsim, String datastore, long capacity, long free) throws Exception {
    put(vcsim, "/vaultgate/datastore-space?dsName=" + datastore, "{\"capacity\":" + capacity + ",\"freeSpace\":" + free + "}");
  }

  /** Makes VMware Tools run (or not) in the VM's guest, as far as vCenter tells (the launcher's /vaultgate/vm-tools). */
  public static void setToolsRunning(VcsimServer vcsim, String vmName, boolean running) throws Exception {
    put(vcsim, "/vaultgate/vm-tools?vm=" + vmName,
        "{\"toolsRunningStatus\":\"" + (running ? "guestToolsRunning" : "guestToolsNotRunning") + "\"}");
  }

  private static void put(VcsimServer vcsim, String pathAndQuery, String json) throws Exception {
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, new TrustManager[] {new PinnedThumbprintTrustManager(vcsim.hostPort(), vcsim.thumbprintSha256())}, null);
    HttpClient http = HttpClient.newBuilder().sslContext(tls).build();
    String auth = Base64.getEncoder().encodeToString((vcsim.user() + ":" + vcsim.password()).getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://" + vcsim.hostPort() + pathAndQuery))
        .header("Authorization", "Basic " + auth)
        .PUT(HttpRequest.BodyPublishers.ofString(json))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 204) {
      throw new IllegalStateException("PUT " + pathAndQuery + " " + json + ": HTTP " + r.statusCode() + " " + r.body());
    }
  }

  /**
   * Adds a disk on the VM's first controller, after its first disk (vcsim creates empty files; the extent is then
   * sized like a thick disk: sparse, {@code capacity} bytes).
   */
  public static void addDisk(VcsimServer vcsim, VmInfo vm, String fileName, long capacity) throws Exception {
    ServiceInstance si = login(vcsim);
    try {
      VmHardware.Disk first = vm.hardware().disks().get(0);
      VirtualDisk disk = new VirtualDisk();
      disk.setKey(-1);
      disk.setControllerKey(first.controllerKey());
      disk.setUnitNumber(first.unitNumber() + 1);
      disk.setCapacityInKB(capacity / 1024);
      VirtualDiskFlatVer2BackingInfo backing = new VirtualDiskFlatVer2BackingInfo();
      backing.setFileName(fileName);
      backing.setDiskMode("persistent");
      disk.setBacking(backing);
      VirtualDeviceConfigSpec add = new VirtualDeviceConfigSpec();
      add.setOperation(VirtualDeviceConfigSpecOperation.add);
      add.setFileOperation(VirtualDeviceConfigSpecFileOperation.create);
      add.setDevice(disk);
      VirtualMachineConfigSpec spec = new VirtualMachineConfigSpec();
      spec.setDeviceChange(new VirtualDeviceConfigSpec[] {add});
      ManagedObjectReference ref = new ManagedObjectReference();
      ref.setType("VirtualMachine");
      ref.setVal(vm.moref());
      String state = new VirtualMachine(si.getServerConnection(), ref).reconfigVM_Task(spec).waitForTask(20, 20);
      if (!Task.SUCCESS.equals(state)) {
        throw new IllegalStateException("adding disk " + fileName + " to " + vm.describe() + ": " + state);
      }
    } finally {
      si.getServerConnection().logout();
    }
    try (FileChannel ch = FileChannel.open(vcsim.datastoreFile(DatastorePath.parse(fileName).flatExtent().path()), StandardOpenOption.WRITE)) {
      ch.truncate(capacity);
      ch.write(ByteBuffer.allocate(1), capacity - 1);
    }
  }

  /** Powers the VM off when it runs and destroys it with its files. */
  public static void destroyVm(VcsimServer vcsim, String name) throws Exception {
    ServiceInstance si = login(vcsim);
    try {
      VirtualMachine vm = (VirtualMachine) new InventoryNavigator(si.getRootFolder()).searchManagedEntity("VirtualMachine", name);
      if (vm == null) {
        throw new IllegalStateException("no VM " + name);
      }
      if ("poweredOn".equals(vm.getRuntime().getPowerState().toString())) {
        vm.powerOffVM_Task().waitForTask();
      }
      Task t = vm.destroy_Task();
      if (!Task.SUCCESS.equals(t.waitForTask())) {
        throw new IllegalStateException("destroy " + name + ": " + t.getTaskInfo().getError().getLocalizedMessage());
      }
    } finally {
      si.getServerConnection().logout();
    }
  }
}
