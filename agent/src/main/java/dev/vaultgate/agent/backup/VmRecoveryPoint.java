package dev.vaultgate.agent.backup;

import dev.vaultgate.vault.format.Manifest;
import java.util.List;
import java.util.Map;

/**
 * One backup of a VM: its disks' recovery points (one manifest per disk today), by disk name.
 *
 * @param metadata the metadata of its first disk's point; VM-wide fields are the same in every disk's
 */
public record VmRecoveryPoint(String backupId, VmPointMetadata metadata, Map<String, Manifest> manifests,
                              Map<String, VmPointMetadata> diskMetadata) {

  public VmRecoveryPoint {
    manifests = Map.copyOf(manifests);
    diskMetadata = Map.copyOf(diskMetadata);
  }

  /** Whether a point exists for every disk the backup listed. */
  public boolean complete() {
    return manifests.keySet().containsAll(metadata.diskNames());
  }

  public List<String> diskNames() {
    return metadata.diskNames();
  }

  public Manifest manifest(String diskName) {
    return manifests.get(diskName);
  }

  /** The changeId to ask the next changes from, or null. */
  public String changeId(String diskName) {
    VmPointMetadata m = diskMetadata.get(diskName);
    return m == null ? null : m.disk().changeId();
  }

  /** The recovery point ids, in the order of {@link #diskNames()}. */
  public List<String> pointIds() {
    return diskNames().stream().filter(manifests::containsKey).map(n -> manifests.get(n).id()).toList();
  }

  public long createdAtMillis() {
    return metadata.createdAtMillis();
  }
}
