package dev.vaultgate.agent.restore;

import dev.vaultgate.agent.backup.VmPointMetadata;
import dev.vaultgate.agent.backup.VmRecoveryPoint;
import dev.vaultgate.agent.vsphere.DatastorePath;
import dev.vaultgate.agent.vsphere.VmExistsException;
import dev.vaultgate.agent.vsphere.VmHardware;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.vsphere.VmdkDescriptor;
import dev.vaultgate.agent.vsphere.VsphereClient;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.backup.RestoreResult;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.repo.Repository;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a VM backup as a new VM: refuses a name that a VM or a datastore folder already has, a VM folder that
 * does not exist, and a datastore whose free space cannot hold the disks, all before uploading anything; for each
 * disk (or each one of {@link Options#disks}),
 * restores it from the vault to a sparse staging file and uploads it to {@code [datastore] <vm>/<vm>[_n]-flat.vmdk}
 * with a descriptor next to it; creates the VM with the saved hardware (CPU, memory, guest OS, controllers, the
 * disks, network cards with new MAC addresses) and powers it on when asked. A failure after the upload began
 * deletes the new folder.
 *
 * <p>The datastore takes whole-file uploads only, so each disk is staged locally (holes cost nothing) before it is
 * streamed up. A streaming restore would need the vault engine to write a disk in offset order to a sink.
 */
public final class VmRestore {
  private static final Logger LOG = LoggerFactory.getLogger(VmRestore.class);

  /**
   * @param vmName          the new VM's name
   * @param datacenter      null: the source VM's
   * @param datastore       null: the datastore of the source VM's first disk
   * @param computeResource host or cluster; null: the source VM's
   * @param stagingDir      local directory for one disk at a time
   * @param disks           the disks to restore (names as {@link VmHardware#diskName}); null: all of them
   * @param folder          VM folder, an inventory path ({@link VsphereClient#vmFolder}); null: the datacenter's
   */
  public record Options(String vmName, String datacenter, String datastore, String computeResource, boolean powerOn,
                        Path stagingDir, List<String> disks, String folder) {
    public Options {
      disks = disks == null ? null : List.copyOf(disks);
    }

    public static Options named(String vmName, Path stagingDir) {
      return new Options(vmName, null, null, null, false, stagingDir, null, null);
    }

    public Options withPowerOn(boolean on) {
      return new Options(vmName, datacenter, datastore, computeResource, on, stagingDir, disks, folder);
    }

    public Options withDatastore(String ds) {
      return new Options(vmName, datacenter, ds, computeResource, powerOn, stagingDir, disks, folder);
    }

    public Options withComputeResource(String cr) {
      return new Options(vmName, datacenter, datastore, cr, powerOn, stagingDir, disks, folder);
    }

    public Options withDatacenter(String dc) {
      return new Options(vmName, dc, datastore, computeResource, powerOn, stagingDir, disks, folder);
    }

    public Options withDisks(List<String> only) {
      return new Options(vmName, datacenter, datastore, computeResource, powerOn, stagingDir, only, folder);
    }

    public Options withFolder(String path) {
      return new Options(vmName, datacenter, datastore, computeResource, powerOn, stagingDir, disks, path);
    }
  }

  private VmRestore() {
  }

  /** Restores one disk of a VM backup to a local file or block device (the vault engine's restore). */
  public static Future<RestoreResult> diskToFile(Repository repo, VmRecoveryPoint point, String diskName, Path target) {
    Manifest m = point.manifest(diskName);
    if (m == null) {
      return Future.failedFuture(new VmRestoreException("VM backup " + point.backupId() + " has no disk " + diskName
          + " (it has " + point.manifests().keySet() + ")", null));
    }
    return RestoreJob.run(repo, m, target, RestoreJob.Options.defaults().withDisk(diskName));
  }

  /** Restores a VM backup to vSphere as a new VM; call it on a Vert.x context. */
  public static Future<VmRestoreResult> toVsphere(VsphereClient client, Repository repo, VmRecoveryPoint point, Options options) {
    long start = System.nanoTime();
    VmPointMetadata meta = point.metadata();
    String name = options.vmName();
    String what = "cannot restore VM backup " + point.backupId() + " of '" + meta.vmName() + "' as VM '" + name + "'";
    List<String> diskNames = options.disks() == null ? point.diskNames()
        : point.diskNames().stream().filter(options.disks()::contains).toList();
    List<String> unknown = options.disks() == null ? List.of()
        : options.disks().stream().filter(d -> !point.diskNames().contains(d)).toList();
    if (!unknown.isEmpty()) {
      return Future.failedFuture(new VmRestoreException(what + ": the backup has no disk " + String.join(", ", unknown)
          + " (it has " + point.diskNames() + ")", null));
    }
    if (diskNames.isEmpty()) {
      return Future.failedFuture(new VmRestoreException(what + ": no disk to restore was named", null));
    }
    if (!point.manifests().keySet().containsAll(diskNames)) {
      return Future.failedFuture(new VmRestoreException(what + ": the backup is incomplete (disks " + point.manifests().keySet()
          + " of " + point.diskNames() + ")", null));
    }
    if (name == null || name.isBlank() || name.contains("/")) {
      return Future.failedFuture(new VmRestoreException(what + ": a VM name must be non-empty and contain no '/'", null));
    }
    VmHardware hw = meta.hardware();
    String dc = options.datacenter() != null ? options.datacenter() : meta.datacenter();
    String ds = options.datastore() != null ? options.datastore()
        : hw.disks().isEmpty() ? meta.datastores().get(0) : hw.disks().get(0).file().datastore();
    String compute = options.computeResource() != null ? options.computeResource() : meta.computeResource();
    DatastorePath folder = new DatastorePath(ds, name);

    Map<String, DatastorePath> files = new LinkedHashMap<>();
    long needed = 0;
    for (String disk : diskNames) {
      needed += hw.disk(disk) == null ? point.manifest(disk).disk(disk).size() : hw.disk(disk).capacityBytes();
    }
    long neededBytes = needed;
    for (int i = 0; i < diskNames.size(); i++) {
      files.put(diskNames.get(i), folder.resolve((i == 0 ? name : name + "_" + i) + ".vmdk"));
    }
    AtomicLong fetched = new AtomicLong();
    AtomicLong uploaded = new AtomicLong();
    AtomicBoolean folderMade = new AtomicBoolean();

    Future<VmInfo> created = client.findVm(name)
        .compose(existing -> existing == null ? client.exists(dc, folder)
            : Future.failedFuture(new VmExistsException(what + ": vCenter " + client.endpoint().hostPort() + " already has a VM named '"
                + name + "' (" + existing.moref() + ")")))
        .compose(folderExists -> {
          if (folderExists) {
            return Future.failedFuture(new VmExistsException(what + ": datastore folder " + folder + " already exists"));
          }
          return options.folder() == null ? Future.succeededFuture() : client.vmFolder(dc, options.folder()).mapEmpty();
        })
        .compose(v -> client.datastoreSpace(dc, ds))
        .compose(space -> {
          // Refused before anything is uploaded: a half-written disk on a full datastore helps no one.
          if (space.freeBytes() < neededBytes) {
            return Future.failedFuture(new VmRestoreException(what + ": datastore " + ds + " has " + mib(space.freeBytes())
                + " free, the " + diskNames.size() + " disk(s) to restore need " + mib(neededBytes), null));
          }
          folderMade.set(true);
          Future<Void> chain = Future.succeededFuture();
          for (String disk : diskNames) {
            chain = chain.compose(v -> uploadDisk(client, repo, point, disk, hw, dc, files.get(disk), options.stagingDir(), fetched, uploaded));
          }
          return chain;
        })
        .compose(v -> client.createVm(new VsphereClient.NewVm(name, dc, ds, compute, hw, files, options.folder())));

    return created
        .compose(vm -> options.powerOn() ? client.powerOn(vm).compose(v -> client.refresh(vm)) : Future.succeededFuture(vm))
        .map(vm -> new VmRestoreResult(vm, files, fetched.get(), uploaded.get(), vm.poweredOn(), (System.nanoTime() - start) / 1e9))
        .recover(e -> {
          Future<Void> cleanup = folderMade.get() && created.failed()
              ? client.deleteDatastoreFile(dc, folder).recover(x -> {
                LOG.warn("could not delete {} after a failed restore: {}", folder, x.getMessage());
                return Future.succeededFuture();
              })
              : Future.succeededFuture();
          return cleanup.transform(ignored -> Future.failedFuture(
              e instanceof VmExistsException || e instanceof VmRestoreException ? e : new VmRestoreException(what + ": " + e.getMessage(), e)));
        });
  }

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }

  private static Future<Void> uploadDisk(VsphereClient client, Repository repo, VmRecoveryPoint point, String diskName, VmHardware hw,
                                         String dc, DatastorePath descriptor, Path stagingDir, AtomicLong fetched, AtomicLong uploaded) {
    Path staging = stagingDir.resolve(point.backupId() + "-" + diskName.replace(':', '_') + ".img");
    VmHardware.Disk disk = hw.disk(diskName);
    VmHardware.Controller controller = disk == null ? null : hw.controller(disk.controllerKey());
    String adapter = controller == null ? "lsilogic" : controller.adapterType();
    DatastorePath flat = descriptor.flatExtent();
    return diskToFile(repo, point, diskName, staging)
        .compose(r -> {
          fetched.addAndGet(r.bytesFetched());
          return client.upload(dc, flat, staging).map(r);
        })
        .compose(r -> {
          uploaded.addAndGet(r.size());
          byte[] text = VmdkDescriptor.flat(r.size(), flat.fileName(), adapter).getBytes(StandardCharsets.UTF_8);
          return client.upload(dc, descriptor, text);
        })
        .eventually(() -> repo.vertx().executeBlocking(() -> Files.deleteIfExists(staging), false));
  }
}
