package dev.vaultgate.agent.disk;

import dev.vaultgate.agent.vsphere.DatastorePath;
import dev.vaultgate.agent.vsphere.DatastoreHttps;
import java.io.IOException;

/**
 * Reads a flat disk extent ({@code vm/disk1-flat.vmdk}) with ranged GETs on vCenter's datastore file service,
 * under the backup's session and pinned certificate. On a snapshot the extent named by the snapshot's
 * configuration holds the frozen data; writes after the snapshot go to a delta file.
 */
public final class DatastoreHttpsDiskReader implements DiskReader {
  private final DatastoreHttps datastore;
  private final String datacenter;
  private final DatastorePath extent;

  public DatastoreHttpsDiskReader(DatastoreHttps datastore, String datacenter, DatastorePath extent) {
    this.datastore = datastore;
    this.datacenter = datacenter;
    this.extent = extent;
  }

  @Override
  public int read(long position, byte[] buf, int off, int len) throws IOException {
    return datastore.readRange(datacenter, extent, position, buf, off, len);
  }

  @Override
  public String describe() {
    return extent + " (datacenter " + datacenter + ")";
  }

  @Override
  public void close() {
    // The HTTP client belongs to the vCenter session.
  }
}
