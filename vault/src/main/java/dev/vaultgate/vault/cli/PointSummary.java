package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.Manifest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/** The metadata the CLI keeps in a manifest, and a recovery point as `points` shows it. */
final class PointSummary {
  static final String DISK = "disk0";

  private PointSummary() {
  }

  static String metadata(String source, String kind) {
    return new JsonObject().put("source", source).put("kind", kind).encode();
  }

  static String sourceOf(Manifest m) {
    try {
      return new JsonObject(m.metadataJson()).getString("source");
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  static JsonObject json(Manifest m) {
    long size = m.disks().stream().mapToLong(DiskBlocks::size).sum();
    return new JsonObject()
        .put("recoveryPointId", m.id())
        .put("createdAt", Instant.ofEpochMilli(m.createdAtMillis()).toString())
        .put("source", sourceOf(m))
        .put("size", size)
        .put("parentId", m.parentId());
  }
}
