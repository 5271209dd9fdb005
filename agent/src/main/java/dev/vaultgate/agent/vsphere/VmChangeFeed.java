package dev.vaultgate.agent.vsphere;

import com.vmware.vim25.ObjectSpec;
import com.vmware.vim25.ObjectUpdate;
import com.vmware.vim25.PropertyFilterSpec;
import com.vmware.vim25.PropertyFilterUpdate;
import com.vmware.vim25.PropertySpec;
import com.vmware.vim25.SelectionSpec;
import com.vmware.vim25.TraversalSpec;
import com.vmware.vim25.UpdateSet;
import com.vmware.vim25.WaitOptions;
import com.vmware.vim25.mo.ContainerView;
import com.vmware.vim25.mo.PropertyCollector;
import com.vmware.vim25.mo.ServiceInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * vCenter's change feed for VMs: a PropertyCollector filter over a container view of every VM (name, custom
 * attributes, instance UUID, power state; a VM that appears or goes away is reported too), read with
 * {@code WaitForUpdatesEx}. It has a session of its own, since a waiting call holds its connection, and each wait
 * runs on the "vsphere" executor with {@code maxWaitSeconds}, so it never holds a worker thread for longer.
 * vSphere tags are not PropertyCollector properties: the periodic sync picks up their changes.
 */
public final class VmChangeFeed {
  static final String[] PROPERTIES = {"name", "customValue", "config.instanceUuid", "runtime.powerState"};

  private final WorkerExecutor executor;
  private final VcenterEndpoint endpoint;
  private final ServiceInstance si;
  private final PropertyCollector collector;
  private final ContainerView view;
  private String version = "";

  private VmChangeFeed(WorkerExecutor executor, VcenterEndpoint endpoint, ServiceInstance si, PropertyCollector collector,
                       ContainerView view) {
    this.executor = executor;
    this.endpoint = endpoint;
    this.si = si;
    this.collector = collector;
    this.view = view;
  }

  /** Logs in with a session of its own and sets up the filter. */
  public static Future<VmChangeFeed> open(Vertx vertx, VcenterEndpoint endpoint) {
    WorkerExecutor executor = vertx.createSharedWorkerExecutor(VsphereClient.EXECUTOR, 8);
    PinnedThumbprintTrustManager trust = new PinnedThumbprintTrustManager(endpoint.hostPort(), endpoint.thumbprintSha256());
    return executor.executeBlocking(() -> {
      ServiceInstance si = VsphereClient.login(endpoint, trust);
      try {
        ContainerView view = si.getViewManager().createContainerView(si.getRootFolder(), new String[] {"VirtualMachine"}, true);
        PropertyCollector collector = si.getPropertyCollector();
        TraversalSpec traverse = new TraversalSpec();
        traverse.setName("view");
        traverse.setType("ContainerView");
        traverse.setPath("view");
        traverse.setSkip(false);
        ObjectSpec object = new ObjectSpec();
        object.setObj(view.getMOR());
        object.setSkip(true);
        object.setSelectSet(new SelectionSpec[] {traverse});
        PropertySpec properties = new PropertySpec();
        properties.setType("VirtualMachine");
        properties.setPathSet(PROPERTIES);
        PropertyFilterSpec spec = new PropertyFilterSpec();
        spec.setObjectSet(new ObjectSpec[] {object});
        spec.setPropSet(new PropertySpec[] {properties});
        collector.createFilter(spec, true);
        return new VmChangeFeed(executor, endpoint, si, collector, view);
      } catch (Exception e) {
        si.getServerConnection().logout();
        throw new VsphereException("cannot watch VM changes on vCenter " + endpoint.hostPort() + ": " + e, true, e);
      }
    }, false).onFailure(e -> executor.close());
  }

  /**
   * Waits up to {@code maxWaitSeconds} for changes; the morefs of the VMs that changed, appeared or went away
   * (empty when nothing changed in time). The first call reports every VM.
   */
  public Future<Set<String>> next(int maxWaitSeconds) {
    return executor.executeBlocking(() -> {
      WaitOptions options = new WaitOptions();
      options.setMaxWaitSeconds(maxWaitSeconds);
      UpdateSet updates;
      try {
        updates = collector.waitForUpdatesEx(version, options);
      } catch (Exception e) {
        throw new VsphereException("cannot wait for VM changes on vCenter " + endpoint.hostPort() + ": " + e, true, e);
      }
      Set<String> changed = new LinkedHashSet<>();
      if (updates == null) {
        return changed;
      }
      version = updates.getVersion();
      for (PropertyFilterUpdate f : orEmpty(updates.getFilterSet())) {
        for (ObjectUpdate o : orEmpty(f.getObjectSet())) {
          changed.add(o.getObj().getVal());
        }
      }
      return changed;
    }, true);
  }

  /** Logs the feed's session out. Never fails. */
  public Future<Void> close() {
    return executor.executeBlocking(() -> {
      try {
        view.destroyView();
      } finally {
        si.getServerConnection().logout();
      }
      return null;
    }, false).<Void>transform(ar -> Future.succeededFuture()).eventually(executor::close);
  }

  private static <T> List<T> orEmpty(T[] a) {
    return a == null ? List.of() : List.of(a);
  }
}
