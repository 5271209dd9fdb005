package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.vsphere.DatastorePath;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.vsphere.VsphereClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scratch VMs ({@code vaultgate-restore-test-<job>}) that restore tests left in vCenter because their gateway
 * stopped between the restore and the clean-up. Run when the agent starts and when its hypervisor connects: the
 * coordinator says which of the named jobs are restore tests this gateway ran ({@code /restore-tests/find}); those
 * VMs are powered off, destroyed and their folder removed, and the deletion is reported (SUCCESSFUL, or FAILED with
 * the reason) when the test has ended. A VM whose job is unknown, not a restore test, another gateway's, or running
 * here now is left alone and logged.
 */
final class RestoreTestLeftovers {
  private static final Logger LOG = LoggerFactory.getLogger(RestoreTestLeftovers.class);

  private RestoreTestLeftovers() {}

  /** What the coordinator knows of a restore test named by a scratch VM. */
  record TestState(String jobId, String status, boolean mine, String gatewayId, String deletionStatus) {
    static TestState of(JsonObject json) {
      return new TestState(json.getString("jobId"), json.getString("status"), json.getBoolean("mine", false),
          json.getString("gatewayId"), json.getString("deletionStatus"));
    }
  }

  enum Action {
    /** Destroy the VM and report the test's deletion (it ended and its clean-up is not in). */
    DESTROY_AND_REPORT,
    /** Destroy the VM; there is nothing (more) to report: its restore runs again, or its deletion is in already. */
    DESTROY,
    /** Not this gateway's to delete. */
    LEAVE
  }

  record Decision(Action action, String why) {}

  /** What to do with the scratch VM of {@code jobId}; {@code test} is null when the job is unknown or not a restore test. */
  static Decision decide(String jobId, TestState test, boolean runningHere) {
    if (test == null) {
      return new Decision(Action.LEAVE, "job " + jobId + " is unknown or not a restore test of this account");
    }
    if (!test.mine()) {
      return new Decision(Action.LEAVE, "restore test " + jobId + " was run by "
          + (test.gatewayId() == null ? "no gateway yet" : "gateway " + test.gatewayId()) + ", not this one");
    }
    if (runningHere) {
      return new Decision(Action.LEAVE, "restore test " + jobId + " is running on this gateway");
    }
    String status = test.status() == null ? "" : test.status();
    if (status.equals("PENDING") || status.equals("RUNNING")) {
      return new Decision(Action.DESTROY, "restore test " + jobId + " is " + status + ": its restore runs again and"
          + " needs the name");
    }
    String deletion = test.deletionStatus();
    if ("SUCCESSFUL".equals(deletion)) {
      return new Decision(Action.DESTROY, "restore test " + jobId + " has its deletion reported already");
    }
    return new Decision(Action.DESTROY_AND_REPORT, "restore test " + jobId + " is " + status + " and its clean-up"
        + " was not done");
  }

  /** The job a scratch VM is named for (job ids are upper-case UUIDs; the VM name is lower-case), or null. */
  static String jobOf(String vmName) {
    if (vmName == null || !vmName.startsWith(RestoreTestRunner.VM_PREFIX) || vmName.length() == RestoreTestRunner.VM_PREFIX.length()) {
      return null;
    }
    return vmName.substring(RestoreTestRunner.VM_PREFIX.length()).toUpperCase(Locale.ROOT);
  }

  /**
   * Finds and deletes this gateway's leftover scratch VMs; answers how many were destroyed. Fails only when vCenter
   * or the coordinator could not be asked (nothing is deleted then).
   */
  static Future<Integer> cleanUp(VsphereClient vsphere, CoordinatorClient coordinator, Predicate<String> runningHere) {
    return vsphere.listVms().compose(vms -> {
      Map<String, VmInfo> byJob = new HashMap<>();
      for (VmInfo vm : vms) {
        String job = jobOf(vm.name());
        if (job != null) {
          byJob.put(job, vm);
        }
      }
      if (byJob.isEmpty()) {
        return Future.succeededFuture(0);
      }
      JsonArray ids = new JsonArray();
      byJob.keySet().stream().sorted().forEach(ids::add);
      return coordinator.post("/restore-tests/find", new JsonObject().put("jobIds", ids)).compose(answer -> {
        Map<String, TestState> tests = new HashMap<>();
        answer.getJsonArray("restoreTests", new JsonArray()).forEach(o -> {
          TestState t = TestState.of((JsonObject) o);
          tests.put(t.jobId(), t);
        });
        List<String> jobs = new ArrayList<>(byJob.keySet());
        jobs.sort(null);
        Future<Integer> chain = Future.succeededFuture(0);
        for (String job : jobs) {
          VmInfo vm = byJob.get(job);
          chain = chain.compose(n -> {
            Decision d = decide(job, tests.get(job), runningHere.test(job));
            if (d.action() == Action.LEAVE) {
              LOG.info("scratch VM '{}' ({}) left alone: {}", vm.name(), vm.moref(), d.why());
              return Future.succeededFuture(n);
            }
            LOG.warn("scratch VM '{}' ({}) was left by a restore test interrupted by a stop: destroying it ({})",
                vm.name(), vm.moref(), d.why());
            return destroy(vsphere, vm, d, coordinator, job).map(destroyed -> destroyed ? n + 1 : n);
          });
        }
        return chain;
      });
    });
  }

  private static Future<Boolean> destroy(VsphereClient vsphere, VmInfo vm, Decision d, CoordinatorClient coordinator, String job) {
    DatastorePath folder = folderOf(vm);
    return deleteVm(vsphere, vm, folder).transform(ar -> {
      if (d.action() != Action.DESTROY_AND_REPORT) {
        if (ar.failed()) {
          LOG.warn("scratch VM '{}' not deleted: {}", vm.name(), ar.cause().getMessage());
        }
        return Future.succeededFuture(ar.succeeded());
      }
      JsonObject body = ar.succeeded()
          ? new JsonObject().put("status", "SUCCESSFUL").put("message", ar.result() + " (left by the gateway's stop)")
          : new JsonObject().put("status", "FAILED").put("message", "cannot delete the scratch VM left by the gateway's stop: "
              + oneLine(ar.cause()));
      LOG.info("restore test {}: deletion {}: {}", job, body.getString("status"), body.getString("message"));
      return coordinator.post("/restore-jobs/" + job + "/deletion", body).transform(r -> {
        if (r.failed()) {
          LOG.warn("restore test {}: its deletion was not reported: {}", job, r.cause().getMessage());
        }
        return Future.succeededFuture(ar.succeeded());
      });
    });
  }

  /**
   * Powers the VM off, destroys it, removes its folder if Destroy_Task left it, and checks that no VM of that name
   * is left; answers what was done, one line.
   */
  static Future<String> deleteVm(VsphereClient vsphere, VmInfo vm, DatastorePath folder) {
    Future<Void> off = vm.poweredOn() ? vsphere.powerOff(vm) : Future.succeededFuture();
    String what = "destroyed VM '" + vm.name() + "' (" + vm.moref() + ")";
    return off.compose(v -> vsphere.destroy(vm))
        .compose(v -> folder == null ? Future.succeededFuture(what)
            : vsphere.exists(vm.datacenter(), folder).compose(left -> left
                ? vsphere.deleteDatastoreFile(vm.datacenter(), folder).map(what + ", deleted " + folder)
                : Future.succeededFuture(what + " and its folder " + folder)))
        .compose(done -> vsphere.findVm(vm.name()).map(still -> {
          if (still != null) {
            throw new IllegalStateException("VM '" + vm.name() + "' is still in vCenter (" + still.moref() + ")");
          }
          return done;
        }));
  }

  /**
   * The folder a restore test made for the VM ({@code [ds] name/name.vmx} → {@code [ds] name}); null when the
   * configuration file is elsewhere (a folder not named for the VM is not the test's to delete).
   */
  static DatastorePath folderOf(VmInfo vm) {
    try {
      DatastorePath vmx = DatastorePath.parse(vm.vmPathName());
      int slash = vmx.path().lastIndexOf('/');
      return slash <= 0 || !vmx.path().substring(0, slash).equals(vm.name()) ? null
          : new DatastorePath(vmx.datastore(), vm.name());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.replace('\n', ' ').replace('\r', ' ');
  }
}
