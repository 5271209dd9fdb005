package dev.vaultgate.agent.vsphere;

/**
 * A file on a datastore, as vSphere writes it: {@code [LocalDS_0] vm/disk1.vmdk}.
 *
 * @param datastore the datastore's name
 * @param path      the path inside it, with forward slashes and no leading slash
 */
public record DatastorePath(String datastore, String path) {
  public DatastorePath {
    if (datastore == null || datastore.isEmpty()) {
      throw new IllegalArgumentException("datastore path without a datastore: [" + datastore + "] " + path);
    }
    path = path == null ? "" : path.strip();
    while (path.startsWith("/")) {
      path = path.substring(1);
    }
  }

  /** Parses {@code [datastore] path/to/file}. */
  public static DatastorePath parse(String text) {
    String t = text == null ? "" : text.strip();
    int close = t.indexOf(']');
    if (!t.startsWith("[") || close < 0) {
      throw new IllegalArgumentException("not a datastore path (expected '[datastore] path'): '" + text + "'");
    }
    return new DatastorePath(t.substring(1, close), t.substring(close + 1));
  }

  /** The extent that holds a flat disk's bytes: {@code vm/disk1.vmdk} → {@code vm/disk1-flat.vmdk}. */
  public DatastorePath flatExtent() {
    if (!path.endsWith(".vmdk")) {
      throw new IllegalArgumentException("not a disk descriptor (.vmdk): " + this);
    }
    if (path.endsWith("-flat.vmdk")) {
      return this;
    }
    return new DatastorePath(datastore, path.substring(0, path.length() - ".vmdk".length()) + "-flat.vmdk");
  }

  /** The file's name without its directory. */
  public String fileName() {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? path : path.substring(slash + 1);
  }

  public DatastorePath resolve(String child) {
    return new DatastorePath(datastore, path.isEmpty() ? child : path + "/" + child);
  }

  @Override
  public String toString() {
    return "[" + datastore + "] " + path;
  }
}
