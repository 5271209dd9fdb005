package dev.vaultgate.agent.backup;

import dev.vaultgate.agent.disk.DiskReader;
import dev.vaultgate.agent.vsphere.DiskArea;
import dev.vaultgate.agent.vsphere.SnapshotInfo;
import dev.vaultgate.agent.vsphere.VmHardware;
import dev.vaultgate.agent.vsphere.VsphereClient;
import dev.vaultgate.vault.backup.BlockSource;
import dev.vaultgate.vault.backup.ChangedExtents;
import io.vertx.core.Future;
import java.io.IOException;
import java.util.List;

/**
 * One disk of a VM at a snapshot: its bytes, through a {@link DiskReader}, and its changed areas, through
 * VMware Changed Block Tracking (QueryChangedDiskAreas on the snapshot). The disk's size is its capacity.
 */
public final class VmwareCbtSource implements BlockSource, ChangedBlockSource {
  private final VsphereClient client;
  private final SnapshotInfo snapshot;
  private final VmHardware.Disk disk;
  private final DiskReader reader;
  private final String description;

  public VmwareCbtSource(VsphereClient client, String vmName, SnapshotInfo snapshot, VmHardware.Disk disk, DiskReader reader) {
    this.client = client;
    this.snapshot = snapshot;
    this.disk = disk;
    this.reader = reader;
    this.description = "disk '" + disk.label() + "' of VM '" + vmName + "' at snapshot " + snapshot.moref() + " (" + reader.describe() + ")";
  }

  @Override
  public Future<ChangedExtents> changedSince(String changeId) {
    return client.changedAreas(snapshot, disk, changeId).map(VmwareCbtSource::extents);
  }

  static ChangedExtents extents(List<DiskArea> areas) {
    return ChangedExtents.of(areas.stream().map(a -> new ChangedExtents.Extent(a.start(), a.length())).toList());
  }

  @Override
  public long size() {
    return disk.capacityBytes();
  }

  @Override
  public int read(long position, byte[] buf, int off, int len) throws IOException {
    long capacity = disk.capacityBytes();
    if (position >= capacity) {
      return -1;
    }
    int n = (int) Math.min(len, capacity - position);
    int read = reader.read(position, buf, off, n);
    if (read < 0) {
      throw new IOException(reader.describe() + " ends at offset " + position + ", before the disk's capacity of " + capacity + " bytes");
    }
    return read;
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }
}
