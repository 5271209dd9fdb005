package dev.vaultgate.agent.restore;

import dev.vaultgate.agent.vsphere.DatastorePath;
import dev.vaultgate.agent.vsphere.VmInfo;
import java.util.Map;

/**
 * What a restore to vSphere made.
 *
 * @param vm         the new VM as vCenter shows it after the restore
 * @param diskFiles  disk name → the descriptor uploaded for it
 * @param bytesFetched bytes read from the vault
 * @param bytesUploaded bytes sent to the datastore (whole disks: the datastore takes no sparse upload)
 */
public record VmRestoreResult(VmInfo vm, Map<String, DatastorePath> diskFiles, long bytesFetched, long bytesUploaded,
                              boolean poweredOn, double seconds) {
  public VmRestoreResult {
    diskFiles = Map.copyOf(diskFiles);
  }
}
