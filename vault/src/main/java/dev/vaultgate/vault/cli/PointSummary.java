package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.format.PointHeader;
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

  static String sourceOf(PointHeader p) {
    try {
      return new JsonObject(p.metadataJson()).getString("source");
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  static JsonObject json(PointHeader p) {
    return new JsonObject()
        .put("recoveryPointId", p.id())
        .put("createdAt", Instant.ofEpochMilli(p.createdAtMillis()).toString())
        .put("source", sourceOf(p))
        .put("size", p.size())
        .put("parentId", p.parentId());
  }
}
