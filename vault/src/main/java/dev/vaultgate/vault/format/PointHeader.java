package dev.vaultgate.vault.format;

import java.util.List;

/**
 * What a recovery point's manifest says before its blocks: when it was made, after which point, its metadata, and its
 * disks' names and sizes. Enough to list points or find one, read from the manifest's first frame
 * ({@link ManifestCodec#decodeHeader}) instead of the whole manifest (a large disk's is hundreds of megabytes).
 */
public record PointHeader(String id, long createdAtMillis, String parentId, String metadataJson, List<DiskHeader> disks) {
  public PointHeader {
    disks = List.copyOf(disks);
  }

  /** A disk of the point: its name, size in bytes, block size, and the blocks the manifest lists (non-sparse). */
  public record DiskHeader(String name, long size, int blockSize, int blocks) {
  }

  /** The header of a manifest already read. */
  public static PointHeader of(Manifest m) {
    return new PointHeader(m.id(), m.createdAtMillis(), m.parentId(), m.metadataJson(), m.disks().stream()
        .map(d -> new DiskHeader(d.name(), d.size(), d.blockSize(), d.entryCount())).toList());
  }

  /** The bytes of all its disks. */
  public long size() {
    return disks.stream().mapToLong(DiskHeader::size).sum();
  }
}
