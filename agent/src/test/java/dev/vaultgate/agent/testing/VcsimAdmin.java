package dev.vaultgate.agent.testing;

import com.vmware.vim25.mo.InventoryNavigator;
import com.vmware.vim25.mo.ServiceInstance;
import com.vmware.vim25.mo.Task;
import com.vmware.vim25.mo.VirtualMachine;
import com.vmware.vim25.ws.CustomSSLTrustContextCreator;
import dev.vaultgate.agent.vsphere.PinnedThumbprintTrustManager;
import dev.vaultgate.agent.vsphere.VsphereClient;
import java.net.URL;

/** What an administrator does in vCenter behind the gateway's back, through a session of its own (blocking; tests only). */
public final class VcsimAdmin {
  private VcsimAdmin() {
  }

  /** Powers the VM off when it runs and destroys it with its files. */
  public static void destroyVm(VcsimServer vcsim, String name) throws Exception {
    ServiceInstance si;
    synchronized (VsphereClient.class) {
      CustomSSLTrustContextCreator.setContextAlreadyCreated(false);
      si = new ServiceInstance(new URL(vcsim.url()), vcsim.user(), vcsim.password(),
          new PinnedThumbprintTrustManager(vcsim.hostPort(), vcsim.thumbprintSha256()));
      CustomSSLTrustContextCreator.setContextAlreadyCreated(false);
    }
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
