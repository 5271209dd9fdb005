package dev.vaultgate.vault.format;

import java.util.List;

/**
 * One recovery point: a synthetic full image of each disk (restore never replays a chain), the point it
 * was made from, and metadata as JSON (source description, VM configuration, change ids, statistics)
 * that the format carries without reading.
 */
public record Manifest(String id, long createdAtMillis, String parentId, String metadataJson, List<DiskBlocks> disks) {

  public DiskBlocks disk(String name) {
    for (DiskBlocks d : disks) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    return null;
  }
}
