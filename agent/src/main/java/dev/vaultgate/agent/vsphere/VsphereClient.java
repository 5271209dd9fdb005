package dev.vaultgate.agent.vsphere;

import com.vmware.vim25.CustomFieldDef;
import com.vmware.vim25.CustomFieldStringValue;
import com.vmware.vim25.CustomFieldValue;
import com.vmware.vim25.Description;
import com.vmware.vim25.DiskChangeExtent;
import com.vmware.vim25.DiskChangeInfo;
import com.vmware.vim25.DistributedVirtualSwitchPortConnection;
import com.vmware.vim25.FileFault;
import com.vmware.vim25.InvalidLogin;
import com.vmware.vim25.LocalizedMethodFault;
import com.vmware.vim25.ManagedObjectNotFound;
import com.vmware.vim25.ManagedObjectReference;
import com.vmware.vim25.MethodFault;
import com.vmware.vim25.NotAuthenticated;
import com.vmware.vim25.ParaVirtualSCSIController;
import com.vmware.vim25.TaskInfo;
import com.vmware.vim25.TaskInfoState;
import com.vmware.vim25.VirtualAHCIController;
import com.vmware.vim25.VirtualBusLogicController;
import com.vmware.vim25.VirtualController;
import com.vmware.vim25.VirtualDevice;
import com.vmware.vim25.VirtualDeviceConfigSpec;
import com.vmware.vim25.VirtualDeviceConfigSpecOperation;
import com.vmware.vim25.VirtualDeviceConnectInfo;
import com.vmware.vim25.VirtualDeviceFileBackingInfo;
import com.vmware.vim25.VirtualDisk;
import com.vmware.vim25.VirtualDiskFlatVer2BackingInfo;
import com.vmware.vim25.VirtualE1000;
import com.vmware.vim25.VirtualE1000e;
import com.vmware.vim25.VirtualEthernetCard;
import com.vmware.vim25.VirtualEthernetCardDistributedVirtualPortBackingInfo;
import com.vmware.vim25.VirtualEthernetCardNetworkBackingInfo;
import com.vmware.vim25.VirtualIDEController;
import com.vmware.vim25.VirtualLsiLogicController;
import com.vmware.vim25.VirtualLsiLogicSASController;
import com.vmware.vim25.VirtualMachineConfigInfo;
import com.vmware.vim25.VirtualMachineConfigSpec;
import com.vmware.vim25.VirtualMachineFileInfo;
import com.vmware.vim25.VirtualMachineSnapshotTree;
import com.vmware.vim25.VirtualPCNet32;
import com.vmware.vim25.VirtualSCSIController;
import com.vmware.vim25.VirtualSCSISharing;
import com.vmware.vim25.VirtualVmxnet2;
import com.vmware.vim25.VirtualVmxnet3;
import com.vmware.vim25.mo.ComputeResource;
import com.vmware.vim25.mo.Datacenter;
import com.vmware.vim25.mo.HostSystem;
import com.vmware.vim25.mo.InventoryNavigator;
import com.vmware.vim25.mo.ManagedEntity;
import com.vmware.vim25.mo.ManagedObject;
import com.vmware.vim25.mo.ResourcePool;
import com.vmware.vim25.mo.ServiceInstance;
import com.vmware.vim25.mo.Task;
import com.vmware.vim25.mo.VirtualMachine;
import com.vmware.vim25.mo.VirtualMachineSnapshot;
import com.vmware.vim25.mo.util.MorUtil;
import com.vmware.vim25.mo.util.PropertyCollectorUtil;
import com.vmware.vim25.ws.CustomSSLTrustContextCreator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.net.ConnectException;
import java.net.MalformedURLException;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.rmi.RemoteException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLException;

/**
 * A logged-in vCenter session. Every call runs the blocking yavijava client on the named worker executor
 * {@value #EXECUTOR} and returns a {@link Future} that completes on the caller's context; the event loop
 * never waits on vCenter. Failures are {@link VsphereException}s whose message names vCenter and what was
 * asked.
 *
 * <p>vCenter's certificate is trusted only by its pinned SHA-256 thumbprint. yavijava keeps one TLS context
 * for the whole JVM once it has made one (CustomSSLTrustContextCreator); a login here resets that around
 * its own connection, under a lock, so each client keeps the socket factory of its own pin.
 */
public final class VsphereClient {
  /** The worker executor every yavijava call runs on. */
  public static final String EXECUTOR = "vsphere";
  private static final int POOL_SIZE = 8;
  private static final Object TLS_CONTEXT_LOCK = new Object();

  private static final String[] VM_PROPERTIES = {
      "name", "config", "runtime.host", "runtime.powerState", "datastore", "network", "customValue", "resourcePool", "snapshot"};

  private final WorkerExecutor executor;
  private final VcenterEndpoint endpoint;
  private final ServiceInstance si;
  private final DatastoreHttps datastore;
  private final PinnedThumbprintTrustManager trust;

  private VsphereClient(WorkerExecutor executor, VcenterEndpoint endpoint, ServiceInstance si, PinnedThumbprintTrustManager trust) {
    this.executor = executor;
    this.trust = trust;
    this.endpoint = endpoint;
    this.si = si;
    this.datastore = new DatastoreHttps(endpoint.hostPort(), trust.sslContext(), () -> si.getServerConnection().getSessionStr(),
        endpoint.timeout());
  }

  /** Logs in to vCenter. Fails with {@link VcenterLoginException}, {@link VcenterCertificateException} or a retryable {@link VsphereException}. */
  public static Future<VsphereClient> connect(Vertx vertx, VcenterEndpoint endpoint) {
    WorkerExecutor executor = vertx.createSharedWorkerExecutor(EXECUTOR, POOL_SIZE);
    PinnedThumbprintTrustManager trust = new PinnedThumbprintTrustManager(endpoint.hostPort(), endpoint.thumbprintSha256());
    return executor.executeBlocking(() -> login(endpoint, trust), false)
        .map(si -> new VsphereClient(executor, endpoint, si, trust))
        .onFailure(e -> executor.close());
  }

  static ServiceInstance login(VcenterEndpoint endpoint, PinnedThumbprintTrustManager trust) {
    int timeoutMs = (int) Math.min(Integer.MAX_VALUE, endpoint.timeout().toMillis());
    String where = "vCenter " + endpoint.sdkUrl();
    try {
      synchronized (TLS_CONTEXT_LOCK) {
        CustomSSLTrustContextCreator.setContextAlreadyCreated(false);
        try {
          return new ServiceInstance(new URL(endpoint.sdkUrl().toString()), endpoint.user(), endpoint.password(), trust, timeoutMs, timeoutMs);
        } finally {
          CustomSSLTrustContextCreator.setContextAlreadyCreated(false);
        }
      }
    } catch (InvalidLogin e) {
      throw new VcenterLoginException("cannot log in to " + where + " as " + endpoint.user() + ": the user name or password is wrong", e);
    } catch (MalformedURLException e) {
      throw new VsphereException("bad vCenter URL " + endpoint.sdkUrl() + ": " + e.getMessage(), false, e);
    } catch (RemoteException | RuntimeException e) {
      PinnedThumbprintTrustManager.ThumbprintMismatchException mismatch = find(e, PinnedThumbprintTrustManager.ThumbprintMismatchException.class);
      if (mismatch != null) {
        throw new VcenterCertificateException("cannot log in to " + where + ": " + mismatch.getMessage(), mismatch.presented(),
            mismatch.pinned(), e);
      }
      throw translate("log in to " + where + " as " + endpoint.user(), e);
    }
  }

  public VcenterEndpoint endpoint() {
    return endpoint;
  }

  /** The datastore file service of this session (blocking calls; see {@link DatastoreHttps}). */
  public DatastoreHttps datastore() {
    return datastore;
  }

  /** vSphere tags through vCenter's REST API, with its own REST session and the same pinned certificate. */
  public VsphereTags tags(Vertx vertx) {
    return new VsphereTags(vertx, endpoint, trust.sslContext());
  }

  /** The session cookie vCenter gave at login, for its HTTP services. */
  public String sessionCookie() {
    return si.getServerConnection().getSessionStr();
  }

  /** Logs out and releases this client's share of the worker executor. Never fails. */
  public Future<Void> close() {
    return executor.executeBlocking(() -> {
      si.getServerConnection().logout();
      return null;
    }, false).<Void>transform(ar -> Future.succeededFuture()).eventually(executor::close);
  }

  // --- inventory --------------------------------------------------------------------------------

  /** Every VM of every datacenter. */
  public Future<List<VmInfo>> listVms() {
    return call("list VMs", () -> {
      List<VmInfo> vms = new ArrayList<>();
      for (ManagedEntity e : search(si.getRootFolder(), "Datacenter")) {
        Datacenter dc = (Datacenter) e;
        vms.addAll(describe(dc.getName(), search(dc.getVmFolder(), "VirtualMachine")));
      }
      return vms;
    });
  }

  /** The VM of that name; fails with {@link VmNotFoundException} when there is none. */
  public Future<VmInfo> vm(String name) {
    return findVm(name).map(vm -> {
      if (vm == null) {
        throw new VmNotFoundException("vCenter " + endpoint.hostPort() + " has no VM named '" + name + "'");
      }
      return vm;
    });
  }

  /** The VM of that name, or null. */
  public Future<VmInfo> findVm(String name) {
    return call("find VM '" + name + "'", () -> {
      for (ManagedEntity e : search(si.getRootFolder(), "Datacenter")) {
        Datacenter dc = (Datacenter) e;
        ManagedEntity vm = new InventoryNavigator(dc.getVmFolder()).searchManagedEntity("VirtualMachine", name);
        if (vm != null) {
          return describe(dc.getName(), new ManagedEntity[] {vm}).get(0);
        }
      }
      return null;
    });
  }

  /** The VM as it is now (re-read), by its moref. */
  public Future<VmInfo> refresh(VmInfo vm) {
    return call("read VM " + vm.describe(), () -> describe(vm.datacenter(), new ManagedEntity[] {vmObject(vm.moref())}).get(0));
  }

  private static ManagedEntity[] search(ManagedEntity root, String type) throws RemoteException {
    ManagedEntity[] found = new InventoryNavigator(root).searchManagedEntities(type);
    return found == null ? new ManagedEntity[0] : found;
  }

  private List<VmInfo> describe(String datacenter, ManagedEntity[] vms) throws RemoteException {
    if (vms.length == 0) {
      return List.of();
    }
    Hashtable<?, ?>[] props = PropertyCollectorUtil.retrieveProperties(vms, "VirtualMachine", VM_PROPERTIES);
    List<ManagedObjectReference> refs = new ArrayList<>();
    for (Hashtable<?, ?> p : props) {
      add(refs, p.get("runtime.host"));
      add(refs, p.get("datastore"));
      add(refs, p.get("network"));
    }
    Map<String, String> names = names(refs);
    Map<String, ManagedObjectReference> parents = hostParents(refs);
    Map<String, String> computeNames = names(parents.values());
    Map<Integer, String> fieldNames = customFieldNames();
    List<VmInfo> out = new ArrayList<>();
    for (int i = 0; i < vms.length; i++) {
      Hashtable<?, ?> p = props[i];
      VirtualMachineConfigInfo config = (VirtualMachineConfigInfo) p.get("config");
      ManagedObjectReference host = (ManagedObjectReference) p.get("runtime.host");
      String hostName = host == null ? null : names.get(host.getVal());
      ManagedObjectReference parent = host == null ? null : parents.get(host.getVal());
      String compute = parent == null ? null : computeNames.get(parent.getVal());
      ManagedObjectReference pool = (ManagedObjectReference) p.get("resourcePool");
      Map<String, String> attributes = new LinkedHashMap<>();
      for (Object o : list(p.get("customValue"))) {
        if (o instanceof CustomFieldStringValue v) {
          attributes.put(fieldNames.getOrDefault(v.getKey(), String.valueOf(v.getKey())), v.getValue());
        } else if (o instanceof CustomFieldValue v) {
          attributes.put(fieldNames.getOrDefault(v.getKey(), String.valueOf(v.getKey())), "");
        }
      }
      List<String> snapshots = new ArrayList<>();
      Object snapshotInfo = p.get("snapshot");
      if (snapshotInfo instanceof com.vmware.vim25.VirtualMachineSnapshotInfo s && s.getRootSnapshotList() != null) {
        collectSnapshots(s.getRootSnapshotList(), snapshots);
      }
      Object powerState = p.get("runtime.powerState");
      out.add(new VmInfo(
          String.valueOf(p.get("name")),
          vms[i].getMOR().getVal(),
          config == null ? null : config.getInstanceUuid(),
          config == null ? null : config.getUuid(),
          config == null || config.getFiles() == null ? null : config.getFiles().getVmPathName(),
          datacenter,
          hostName,
          compute,
          pool == null ? null : pool.getVal(),
          namesOf(p.get("datastore"), names),
          namesOf(p.get("network"), names),
          powerState == null ? null : powerState.toString(),
          config != null && Boolean.TRUE.equals(config.getChangeTrackingEnabled()),
          config == null ? new VmHardware(null, 0, 0, 0, null, null, List.of(), List.of(), List.of()) : hardware(config),
          attributes,
          snapshots));
    }
    return out;
  }

  private static void collectSnapshots(VirtualMachineSnapshotTree[] trees, List<String> out) {
    for (VirtualMachineSnapshotTree t : trees) {
      out.add(t.getName());
      if (t.getChildSnapshotList() != null) {
        collectSnapshots(t.getChildSnapshotList(), out);
      }
    }
  }

  private Map<Integer, String> customFieldNames() {
    Map<Integer, String> out = new HashMap<>();
    if (si.getCustomFieldsManager() == null) {
      return out;
    }
    CustomFieldDef[] defs = si.getCustomFieldsManager().getField();
    if (defs != null) {
      for (CustomFieldDef d : defs) {
        out.put(d.getKey(), d.getName());
      }
    }
    return out;
  }

  /** Names of managed objects of any types, by moref value. */
  private Map<String, String> names(Collection<ManagedObjectReference> refs) throws RemoteException {
    Map<String, String> out = new HashMap<>();
    property(refs, "name").forEach((k, v) -> out.put(k, v == null ? null : String.valueOf(v)));
    return out;
  }

  /** The compute resource (standalone or cluster) of each host among {@code refs}, by the host's moref value. */
  private Map<String, ManagedObjectReference> hostParents(Collection<ManagedObjectReference> refs) throws RemoteException {
    List<ManagedObjectReference> hosts = refs.stream().filter(r -> "HostSystem".equals(r.getType())).toList();
    Map<String, ManagedObjectReference> out = new HashMap<>();
    property(hosts, "parent").forEach((k, v) -> {
      if (v instanceof ManagedObjectReference m) {
        out.put(k, m);
      }
    });
    return out;
  }

  /** One property of managed objects of any types (one retrieval per type), by moref value. */
  private Map<String, Object> property(Collection<ManagedObjectReference> refs, String property) throws RemoteException {
    Map<String, List<ManagedObjectReference>> byType = new LinkedHashMap<>();
    for (ManagedObjectReference r : refs) {
      byType.computeIfAbsent(r.getType(), k -> new ArrayList<>()).add(r);
    }
    Map<String, Object> out = new HashMap<>();
    for (Map.Entry<String, List<ManagedObjectReference>> e : byType.entrySet()) {
      List<ManagedObjectReference> unique = e.getValue().stream().filter(distinctBy()).toList();
      ManagedObject[] mos = unique.stream().map(r -> MorUtil.createExactManagedObject(si.getServerConnection(), r)).toArray(ManagedObject[]::new);
      Hashtable<?, ?>[] props = PropertyCollectorUtil.retrieveProperties(mos, e.getKey(), new String[] {property});
      for (int i = 0; i < mos.length; i++) {
        out.put(unique.get(i).getVal(), props[i].get(property));
      }
    }
    return out;
  }

  private static java.util.function.Predicate<ManagedObjectReference> distinctBy() {
    java.util.Set<String> seen = new java.util.HashSet<>();
    return r -> seen.add(r.getVal());
  }

  private static void add(List<ManagedObjectReference> refs, Object value) {
    for (Object o : list(value)) {
      if (o instanceof ManagedObjectReference m) {
        refs.add(m);
      }
    }
  }

  private static List<String> namesOf(Object value, Map<String, String> names) {
    List<String> out = new ArrayList<>();
    for (Object o : list(value)) {
      if (o instanceof ManagedObjectReference m && names.get(m.getVal()) != null) {
        out.add(names.get(m.getVal()));
      }
    }
    return out;
  }

  /** A property that is a single value, an array, or one of yavijava's ArrayOf... wrappers, as a list. */
  private static List<Object> list(Object value) {
    if (value == null || value == PropertyCollectorUtil.NULL) {
      return List.of();
    }
    if (value instanceof Object[] array) {
      return Arrays.asList(array);
    }
    Object converted = PropertyCollectorUtil.convertProperty(value);
    if (converted instanceof Object[] array) {
      return Arrays.asList(array);
    }
    return List.of(converted);
  }

  /** The hardware of a VM or snapshot configuration. */
  static VmHardware hardware(VirtualMachineConfigInfo config) {
    List<VmHardware.Controller> controllers = new ArrayList<>();
    List<VmHardware.Disk> disks = new ArrayList<>();
    List<VmHardware.Nic> nics = new ArrayList<>();
    VirtualDevice[] devices = config.getHardware() == null || config.getHardware().getDevice() == null
        ? new VirtualDevice[0] : config.getHardware().getDevice();
    for (VirtualDevice d : devices) {
      if (d instanceof VirtualSCSIController c) {
        controllers.add(new VmHardware.Controller(c.getKey(), c.getClass().getSimpleName(), c.getBusNumber(),
            c.getSharedBus() == null ? null : c.getSharedBus().toString()));
      } else if (d instanceof VirtualIDEController || d instanceof VirtualAHCIController) {
        VirtualController c = (VirtualController) d;
        controllers.add(new VmHardware.Controller(c.getKey(), c.getClass().getSimpleName(), c.getBusNumber(), null));
      } else if (d instanceof VirtualDisk disk) {
        String file = disk.getBacking() instanceof VirtualDeviceFileBackingInfo f ? f.getFileName() : null;
        VirtualDiskFlatVer2BackingInfo flat = disk.getBacking() instanceof VirtualDiskFlatVer2BackingInfo b ? b : null;
        long capacity = disk.getCapacityInBytes() != null && disk.getCapacityInBytes() > 0
            ? disk.getCapacityInBytes() : disk.getCapacityInKB() * 1024L;
        disks.add(new VmHardware.Disk(disk.getKey(), label(disk), capacity, file,
            disk.getControllerKey() == null ? 0 : disk.getControllerKey(), disk.getUnitNumber() == null ? 0 : disk.getUnitNumber(),
            flat != null && Boolean.TRUE.equals(flat.getThinProvisioned()), flat == null ? null : flat.getDiskMode(),
            flat == null ? null : flat.getChangeId()));
      } else if (d instanceof VirtualEthernetCard nic) {
        String network = null;
        String switchUuid = null;
        String portgroup = null;
        if (nic.getBacking() instanceof VirtualEthernetCardNetworkBackingInfo b) {
          network = b.getDeviceName();
        } else if (nic.getBacking() instanceof VirtualEthernetCardDistributedVirtualPortBackingInfo b && b.getPort() != null) {
          switchUuid = b.getPort().getSwitchUuid();
          portgroup = b.getPort().getPortgroupKey();
        }
        nics.add(new VmHardware.Nic(nic.getKey(), nic.getClass().getSimpleName(), label(nic), network, switchUuid, portgroup,
            nic.getMacAddress()));
      }
    }
    return new VmHardware(config.getGuestId(),
        config.getHardware() == null ? 0 : config.getHardware().getNumCPU(),
        config.getHardware() == null || config.getHardware().getNumCoresPerSocket() == null ? 1 : config.getHardware().getNumCoresPerSocket(),
        config.getHardware() == null ? 0 : config.getHardware().getMemoryMB(),
        config.getFirmware(), config.getVersion(), controllers, disks, nics);
  }

  private static String label(VirtualDevice d) {
    Description info = d.getDeviceInfo();
    return info == null ? null : info.getLabel();
  }

  /**
   * Sets a custom attribute on a VM, defining it (for VMs) when vCenter does not know it yet: how the gateway
   * writes a backup's outcome back where vCenter administrators see it.
   */
  public Future<Void> setCustomAttribute(VmInfo vm, String name, String value) {
    return call("set custom attribute '" + name + "' of VM " + vm.describe(), () -> {
      var fields = si.getCustomFieldsManager();
      Integer key = null;
      if (fields.getField() != null) {
        for (CustomFieldDef d : fields.getField()) {
          if (d.getName().equals(name) && (d.getManagedObjectType() == null || d.getManagedObjectType().equals("VirtualMachine"))) {
            key = d.getKey();
          }
        }
      }
      if (key == null) {
        key = fields.addCustomFieldDef(name, "VirtualMachine", null, null).getKey();
      }
      fields.setField(vmObject(vm.moref()), key, value);
      return null;
    });
  }

  // --- change tracking and snapshots ------------------------------------------------------------

  /** Turns Changed Block Tracking on or off (ReconfigVM_Task). */
  public Future<Void> setChangeTracking(VmInfo vm, boolean enabled) {
    return call((enabled ? "enable" : "disable") + " change tracking of VM " + vm.describe(), () -> {
      VirtualMachineConfigSpec spec = new VirtualMachineConfigSpec();
      spec.setChangeTrackingEnabled(enabled);
      waitFor(vmObject(vm.moref()).reconfigVM_Task(spec));
      return null;
    });
  }

  /** Whether VMware Tools runs in the guest ({@code guest.toolsRunningStatus} is guestToolsRunning): quiescing needs it. */
  public Future<Boolean> toolsRunning(VmInfo vm) {
    return call("read the VMware Tools status of VM " + vm.describe(),
        () -> "guestToolsRunning".equals(vmObject(vm.moref()).getPropertyByPath("guest.toolsRunningStatus")));
  }

  /** Creates a snapshot without memory; {@code quiesce} asks VMware Tools to quiesce the guest's file systems. */
  public Future<SnapshotInfo> createSnapshot(VmInfo vm, String name, String description, boolean quiesce) {
    return call("create snapshot '" + name + "' of VM " + vm.describe(), () -> {
      TaskInfo info = waitFor(vmObject(vm.moref()).createSnapshot_Task(name, description, false, quiesce));
      ManagedObjectReference ref = (ManagedObjectReference) info.getResult();
      VirtualMachineSnapshot snapshot = new VirtualMachineSnapshot(si.getServerConnection(), ref);
      return new SnapshotInfo(ref.getVal(), vm.moref(), name, quiesce, hardware(snapshot.getConfig()));
    });
  }

  /**
   * Removes every snapshot of the VM whose name starts with {@code namePrefix} (a gateway's leftovers: a backup a
   * crash ended never removed its snapshot); answers their names.
   */
  public Future<List<String>> removeSnapshotsNamed(VmInfo vm, String namePrefix) {
    return call("remove the snapshots '" + namePrefix + "*' of VM " + vm.describe(), () -> {
      List<VirtualMachineSnapshotTree> matching = new ArrayList<>();
      Object info = vmObject(vm.moref()).getPropertyByPath("snapshot");
      if (info instanceof com.vmware.vim25.VirtualMachineSnapshotInfo s && s.getRootSnapshotList() != null) {
        collectSnapshotTrees(s.getRootSnapshotList(), namePrefix, matching);
      }
      List<String> removed = new ArrayList<>();
      for (VirtualMachineSnapshotTree t : matching) {
        waitFor(new VirtualMachineSnapshot(si.getServerConnection(), t.getSnapshot()).removeSnapshot_Task(false));
        removed.add(t.getName());
      }
      return removed;
    });
  }

  private static void collectSnapshotTrees(VirtualMachineSnapshotTree[] trees, String namePrefix, List<VirtualMachineSnapshotTree> out) {
    for (VirtualMachineSnapshotTree t : trees) {
      if (t.getName() != null && t.getName().startsWith(namePrefix)) {
        out.add(t);
      }
      if (t.getChildSnapshotList() != null) {
        collectSnapshotTrees(t.getChildSnapshotList(), namePrefix, out);
      }
    }
  }

  /** Removes a snapshot (its children stay), consolidating its data into the disks. */
  public Future<Void> removeSnapshot(SnapshotInfo snapshot) {
    return call("remove snapshot '" + snapshot.name() + "' (" + snapshot.moref() + ") of VM " + snapshot.vmMoref(), () -> {
      waitFor(new VirtualMachineSnapshot(si.getServerConnection(), mor("VirtualMachineSnapshot", snapshot.moref())).removeSnapshot_Task(false));
      return null;
    });
  }

  /**
   * The areas of a snapshot's disk that changed since {@code changeId} ("*": the areas in use), walking
   * QueryChangedDiskAreas's windows from offset 0 to the disk's capacity. Fails with
   * {@link ChangeIdRejectedException} when vCenter does not accept the changeId (FileFault).
   */
  public Future<List<DiskArea>> changedAreas(SnapshotInfo snapshot, VmHardware.Disk disk, String changeId) {
    String what = "query changed areas of disk '" + disk.label() + "' (key " + disk.key() + ") of VM " + snapshot.vmMoref() + " at snapshot "
        + snapshot.moref() + " since changeId " + changeId;
    return call(what, () -> {
      VirtualMachine vm = vmObject(snapshot.vmMoref());
      VirtualMachineSnapshot snap = new VirtualMachineSnapshot(si.getServerConnection(), mor("VirtualMachineSnapshot", snapshot.moref()));
      List<DiskArea> areas = new ArrayList<>();
      long offset = 0;
      while (offset < disk.capacityBytes()) {
        DiskChangeInfo info;
        try {
          info = vm.queryChangedDiskAreas(snap, disk.key(), offset, changeId);
        } catch (FileFault e) {
          throw new ChangeIdRejectedException("vCenter " + endpoint.hostPort() + " does not accept changeId " + changeId + " for disk '"
              + disk.label() + "' of VM " + snapshot.vmMoref() + " (" + faultText(e) + ")", e);
        }
        if (info.getChangedArea() != null) {
          for (DiskChangeExtent a : info.getChangedArea()) {
            areas.add(new DiskArea(a.getStart(), a.getLength()));
          }
        }
        long next = info.getStartOffset() + info.getLength();
        if (info.getLength() <= 0 || next <= offset) {
          throw new VsphereException("vCenter " + endpoint.hostPort() + " answered an empty window at offset " + offset
              + " to QueryChangedDiskAreas for disk '" + disk.label() + "'", false);
        }
        offset = next;
      }
      return areas;
    });
  }

  // --- creating VMs -----------------------------------------------------------------------------

  /**
   * Where a new VM goes and what it is made of.
   *
   * @param computeResource cluster or standalone host name; null: the first one in the datacenter
   * @param diskFiles       disk name ({@link VmHardware#diskName}) → its descriptor, already on the datastore; the
   *                        hardware's other disks are left out
   * @param folder          VM folder as an inventory path ({@link #vmFolder}); null: the datacenter's VM folder
   */
  public record NewVm(String name, String datacenter, String datastore, String computeResource, VmHardware hardware,
                      Map<String, DatastorePath> diskFiles, String folder) {
  }

  /** A datastore's size as vCenter last saw it ({@code summary.capacity}, {@code summary.freeSpace}). */
  public record DatastoreSpace(String datastore, long capacityBytes, long freeBytes) {
  }

  /** The datastore's capacity and free space from its summary (not refreshed: vCenter updates it on its own). */
  public Future<DatastoreSpace> datastoreSpace(String datacenter, String datastore) {
    return call("read the free space of datastore " + datastore, () -> {
      Datacenter dc = datacenter(datacenter);
      for (com.vmware.vim25.mo.Datastore ds : dc.getDatastores()) {
        if (ds.getName().equals(datastore)) {
          var summary = ds.getSummary();
          return new DatastoreSpace(datastore, summary.getCapacity(), summary.getFreeSpace());
        }
      }
      throw new VsphereException("datacenter " + datacenter + " of vCenter " + endpoint.hostPort() + " has no datastore '" + datastore + "'",
          false);
    });
  }

  /**
   * The inventory path of a VM folder: {@code /DC0/vm/restored} (absolute, from the root folder) or
   * {@code restored} (relative to the datacenter's VM folder). Fails when there is no such folder.
   */
  public Future<String> vmFolder(String datacenter, String path) {
    return call("find VM folder '" + path + "'", () -> folder(datacenter, path).getMOR().getVal());
  }

  /** The inventory path of the folder that holds the VM, {@code /DC0/vm/team-a}: what {@link #vmFolder} takes back. */
  public Future<String> vmFolderPath(VmInfo vm) {
    return call("find the folder of VM " + vm.describe(), () -> {
      List<String> names = new ArrayList<>();
      for (ManagedEntity e = vmObject(vm.moref()).getParent(); e != null && e.getParent() != null; e = e.getParent()) {
        names.add(0, e.getName()); // up to, not including, the root folder
      }
      return "/" + String.join("/", names);
    });
  }

  private com.vmware.vim25.mo.Folder folder(String datacenter, String path) throws RemoteException {
    Datacenter dc = datacenter(datacenter);
    if (path == null || path.isBlank()) {
      return dc.getVmFolder();
    }
    String absolute = path.startsWith("/") ? path.substring(1) : dc.getName() + "/vm/" + path;
    ManagedEntity found = si.getSearchIndex().findByInventoryPath(absolute.replaceAll("/+$", ""));
    if (!(found instanceof com.vmware.vim25.mo.Folder f) || !List.of(f.getChildType() == null ? new String[0] : f.getChildType())
        .contains("VirtualMachine")) {
      throw new VsphereException("vCenter " + endpoint.hostPort() + " has no VM folder '" + path + "'"
          + (path.startsWith("/") ? "" : " in datacenter " + dc.getName()), false);
    }
    return f;
  }

  /**
   * Creates a VM with the given hardware whose disks are existing files (no disk is created), MAC addresses
   * generated anew. Fails with {@link VmExistsException} when a VM of that name exists.
   */
  public Future<VmInfo> createVm(NewVm spec) {
    return call("create VM '" + spec.name() + "' in datacenter " + spec.datacenter(), () -> {
      Datacenter dc = datacenter(spec.datacenter());
      if (new InventoryNavigator(dc.getVmFolder()).searchManagedEntity("VirtualMachine", spec.name()) != null) {
        throw new VmExistsException("cannot create VM '" + spec.name() + "' in vCenter " + endpoint.hostPort() + ": a VM with that name exists");
      }
      ResourcePool pool = resourcePool(dc, spec.computeResource());
      VirtualMachineConfigSpec config = configSpec(spec);
      TaskInfo info = waitFor(folder(spec.datacenter(), spec.folder()).createVM_Task(config, pool, null));
      ManagedObjectReference ref = (ManagedObjectReference) info.getResult();
      return describe(dc.getName(), new ManagedEntity[] {MorUtil.createExactManagedEntity(si.getServerConnection(), ref)}).get(0);
    });
  }

  public Future<Void> powerOn(VmInfo vm) {
    return call("power on VM " + vm.describe(), () -> {
      waitFor(vmObject(vm.moref()).powerOnVM_Task(null));
      return null;
    });
  }

  /** Powers a VM off (hard, as a restore test's scratch VM needs no clean guest shutdown). */
  public Future<Void> powerOff(VmInfo vm) {
    return call("power off VM " + vm.describe(), () -> {
      waitFor(vmObject(vm.moref()).powerOffVM_Task());
      return null;
    });
  }

  /** Deletes a VM from the inventory and its files from the datastore (Destroy_Task); it must be powered off. */
  public Future<Void> destroy(VmInfo vm) {
    return call("destroy VM " + vm.describe(), () -> {
      waitFor(vmObject(vm.moref()).destroy_Task());
      return null;
    });
  }

  /** The guest heartbeat as VMware Tools reports it ({@code summary.quickStats.guestHeartbeatStatus}: green, yellow, red, gray). */
  public Future<String> guestHeartbeat(VmInfo vm) {
    return call("read the guest heartbeat of VM " + vm.describe(), () -> {
      Object status = vmObject(vm.moref()).getPropertyByPath("summary.quickStats.guestHeartbeatStatus");
      return status == null ? null : status.toString();
    });
  }

  /** Deletes a datastore file or folder (FileManager.DeleteDatastoreFile_Task). */
  public Future<Void> deleteDatastoreFile(String datacenter, DatastorePath file) {
    return call("delete " + file + " in datacenter " + datacenter, () -> {
      waitFor(si.getFileManager().deleteDatastoreFile_Task(file.toString(), datacenter(datacenter)));
      return null;
    });
  }

  /** Uploads a local file to the datastore on a worker (streamed). */
  public Future<Void> upload(String datacenter, DatastorePath file, Path local) {
    return call("upload " + file, () -> {
      datastore.upload(datacenter, file, local);
      return null;
    });
  }

  /** Uploads bytes as a datastore file. */
  public Future<Void> upload(String datacenter, DatastorePath file, byte[] content) {
    return call("upload " + file, () -> {
      datastore.upload(datacenter, file, content);
      return null;
    });
  }

  public Future<Boolean> exists(String datacenter, DatastorePath file) {
    return call("look up " + file, () -> datastore.exists(datacenter, file));
  }

  private Datacenter datacenter(String name) throws RemoteException {
    ManagedEntity dc = new InventoryNavigator(si.getRootFolder()).searchManagedEntity("Datacenter", name);
    if (dc == null) {
      throw new VsphereException("vCenter " + endpoint.hostPort() + " has no datacenter '" + name + "'", false);
    }
    return (Datacenter) dc;
  }

  private ResourcePool resourcePool(Datacenter dc, String computeResource) throws RemoteException {
    ManagedEntity[] all = search(dc.getHostFolder(), "ComputeResource");
    for (ManagedEntity e : all) {
      if (computeResource == null || computeResource.equals(e.getName())) {
        return ((ComputeResource) e).getResourcePool();
      }
    }
    throw new VsphereException("datacenter " + dc.getName() + " of vCenter " + endpoint.hostPort() + " has no "
        + (computeResource == null ? "host or cluster" : "host or cluster named '" + computeResource + "'"), false);
  }

  private static VirtualMachineConfigSpec configSpec(NewVm spec) {
    VmHardware hw = spec.hardware();
    VirtualMachineConfigSpec config = new VirtualMachineConfigSpec();
    config.setName(spec.name());
    config.setGuestId(hw.guestId());
    if (hw.numCpu() > 0) {
      config.setNumCPUs(hw.numCpu());
    }
    if (hw.coresPerSocket() > 0) {
      config.setNumCoresPerSocket(hw.coresPerSocket());
    }
    if (hw.memoryMb() > 0) {
      config.setMemoryMB(hw.memoryMb());
    }
    if (hw.firmware() != null) {
      config.setFirmware(hw.firmware());
    }
    VirtualMachineFileInfo files = new VirtualMachineFileInfo();
    files.setVmPathName(new DatastorePath(spec.datastore(), spec.name() + "/" + spec.name() + ".vmx").toString());
    config.setFiles(files);

    List<VirtualDeviceConfigSpec> changes = new ArrayList<>();
    Map<Integer, Integer> controllerKeys = new HashMap<>();
    int temporaryKey = -100;
    for (VmHardware.Controller c : hw.controllers()) {
      if (c.type().equals("VirtualIDEController")) {
        controllerKeys.put(c.key(), 200 + c.busNumber()); // every VM has IDE controllers 200 and 201
        continue;
      }
      VirtualController controller = newController(c);
      controller.setKey(--temporaryKey);
      controller.setBusNumber(c.busNumber());
      controllerKeys.put(c.key(), controller.getKey());
      changes.add(add(controller));
    }
    for (VmHardware.Disk d : hw.disks()) {
      DatastorePath file = spec.diskFiles().get(hw.diskName(d));
      if (file == null) {
        continue; // not restored
      }
      VirtualDisk disk = new VirtualDisk();
      disk.setKey(--temporaryKey);
      disk.setControllerKey(controllerKeys.getOrDefault(d.controllerKey(), d.controllerKey()));
      disk.setUnitNumber(d.unitNumber());
      disk.setCapacityInKB((d.capacityBytes() + 1023) / 1024);
      disk.setCapacityInBytes(d.capacityBytes());
      VirtualDiskFlatVer2BackingInfo backing = new VirtualDiskFlatVer2BackingInfo();
      backing.setFileName(file.toString());
      backing.setDiskMode(d.diskMode() == null ? "persistent" : d.diskMode());
      backing.setThinProvisioned(d.thin());
      disk.setBacking(backing);
      changes.add(add(disk));
    }
    for (VmHardware.Nic n : hw.nics()) {
      VirtualEthernetCard nic = newNic(n.type());
      nic.setKey(--temporaryKey);
      nic.setAddressType("generated");
      if (n.switchUuid() != null) {
        VirtualEthernetCardDistributedVirtualPortBackingInfo backing = new VirtualEthernetCardDistributedVirtualPortBackingInfo();
        DistributedVirtualSwitchPortConnection port = new DistributedVirtualSwitchPortConnection();
        port.setSwitchUuid(n.switchUuid());
        port.setPortgroupKey(n.portgroupKey());
        backing.setPort(port);
        nic.setBacking(backing);
      } else if (n.network() != null) {
        VirtualEthernetCardNetworkBackingInfo backing = new VirtualEthernetCardNetworkBackingInfo();
        backing.setDeviceName(n.network());
        nic.setBacking(backing);
      } else {
        continue;
      }
      VirtualDeviceConnectInfo connect = new VirtualDeviceConnectInfo();
      connect.setStartConnected(true);
      connect.setConnected(false);
      connect.setAllowGuestControl(true);
      nic.setConnectable(connect);
      changes.add(add(nic));
    }
    config.setDeviceChange(changes.toArray(new VirtualDeviceConfigSpec[0]));
    return config;
  }

  private static VirtualDeviceConfigSpec add(VirtualDevice device) {
    VirtualDeviceConfigSpec s = new VirtualDeviceConfigSpec();
    s.setOperation(VirtualDeviceConfigSpecOperation.add);
    s.setDevice(device);
    return s;
  }

  private static VirtualController newController(VmHardware.Controller c) {
    VirtualController controller = switch (c.type()) {
      case "ParaVirtualSCSIController" -> new ParaVirtualSCSIController();
      case "VirtualLsiLogicSASController" -> new VirtualLsiLogicSASController();
      case "VirtualBusLogicController" -> new VirtualBusLogicController();
      case "VirtualAHCIController" -> new VirtualAHCIController();
      default -> new VirtualLsiLogicController();
    };
    if (controller instanceof VirtualSCSIController scsi) {
      scsi.setSharedBus(c.sharing() == null ? VirtualSCSISharing.noSharing : VirtualSCSISharing.valueOf(c.sharing()));
    }
    return controller;
  }

  private static VirtualEthernetCard newNic(String type) {
    return switch (type == null ? "" : type) {
      case "VirtualE1000e" -> new VirtualE1000e();
      case "VirtualVmxnet3" -> new VirtualVmxnet3();
      case "VirtualVmxnet2" -> new VirtualVmxnet2();
      case "VirtualPCNet32" -> new VirtualPCNet32();
      default -> new VirtualE1000();
    };
  }

  // --- plumbing ---------------------------------------------------------------------------------

  private VirtualMachine vmObject(String moref) {
    return new VirtualMachine(si.getServerConnection(), mor("VirtualMachine", moref));
  }

  private static ManagedObjectReference mor(String type, String value) {
    ManagedObjectReference m = new ManagedObjectReference();
    m.setType(type);
    m.setVal(value);
    return m;
  }

  /** Waits for a task; its fault becomes a {@link VsphereException} carrying vCenter's message. */
  private TaskInfo waitFor(Task task) throws RemoteException, InterruptedException {
    String state = task.waitForTask(50, 50);
    TaskInfo info = task.getTaskInfo();
    if (!TaskInfoState.success.toString().equals(state)) {
      LocalizedMethodFault error = info.getError();
      MethodFault fault = error == null ? null : error.getFault();
      if (fault != null) {
        throw fault;
      }
      throw new VsphereException("task " + info.getDescriptionId() + " ended " + state
          + (error == null ? "" : ": " + error.getLocalizedMessage()), false);
    }
    return info;
  }

  /** Runs blocking yavijava work on the "vsphere" executor; failures become {@link VsphereException}s naming {@code what}. */
  private <T> Future<T> call(String what, Callable<T> work) {
    return executor.executeBlocking(() -> {
      try {
        return work.call();
      } catch (VsphereException e) {
        throw e;
      } catch (Exception e) {
        throw translate(what + " on vCenter " + endpoint.hostPort(), e);
      }
    }, false);
  }

  private static VsphereException translate(String what, Throwable e) {
    if (e instanceof NotAuthenticated) {
      return new VsphereException("cannot " + what + ": the session is no longer logged in", true, e);
    }
    if (e instanceof ManagedObjectNotFound) {
      return new VsphereException("cannot " + what + ": the object no longer exists (" + faultText(e) + ")", false, e);
    }
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return new VsphereException("interrupted while trying to " + what, true, e);
    }
    Throwable network = firstOf(e, ConnectException.class, UnknownHostException.class, SocketTimeoutException.class);
    if (network != null) {
      return new VsphereException("cannot " + what + ": vCenter is unreachable (" + network + ")", true, e);
    }
    SSLException tls = find(e, SSLException.class);
    if (tls != null) {
      return new VsphereException("cannot " + what + ": TLS failed (" + tls.getMessage() + ")", false, e);
    }
    if (e instanceof IOException io && !(e instanceof RemoteException)) {
      return new VsphereException("cannot " + what + ": " + io.getMessage(), true, e);
    }
    return new VsphereException("cannot " + what + ": " + faultText(e), false, e);
  }

  /** A vSphere fault's type and whatever message it carries. */
  static String faultText(Throwable e) {
    StringBuilder s = new StringBuilder(e.getClass().getSimpleName());
    if (e instanceof FileFault f && f.getFile() != null && (e.getMessage() == null || !e.getMessage().contains(f.getFile()))) {
      s.append(" on ").append(f.getFile());
    }
    if (e instanceof MethodFault m && m.getFaultMessage() != null) {
      for (com.vmware.vim25.LocalizableMessage msg : m.getFaultMessage()) {
        if (msg.getMessage() != null) {
          s.append(": ").append(msg.getMessage());
        }
      }
    }
    if (e.getMessage() != null && !e.getMessage().isBlank()) {
      s.append(": ").append(e.getMessage());
    }
    return s.toString();
  }

  private static <X extends Throwable> X find(Throwable e, Class<X> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  @SafeVarargs
  private static Throwable firstOf(Throwable e, Class<? extends Throwable>... types) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      for (Class<? extends Throwable> type : types) {
        if (type.isInstance(t)) {
          return t;
        }
      }
    }
    return null;
  }
}
