package dev.vaultgate.vault.format;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code refs/<recovery-point-id>}: the keys of the objects a recovery point needs besides its manifest (the
 * config, the data-key generations {@code keys/<id>} of a vault whose key was rotated, the packs holding its chunks,
 * the index segments naming those packs), in the clear, written under the
 * point's retention just before its manifest.
 *
 * <p>Why in the clear: the coordinator holds no vault key, yet its lifecycle acts on storage (extending retention
 * when UpdateRecoveryPointLifecycle lengthens a locked point's life, moving packs to cold storage). It reveals only
 * which of the (already listable) pack and segment names belong to which point. It is not authenticated: someone
 * who can write to the bucket can make the coordinator skip or add objects, never shorten a retention or change
 * data; the gateway's {@code vault check} (sealed manifests and index) stays the authority on what a point needs.
 *
 * <p>{@code {"version": 1, "point": "<id>", "objects": ["config", "index/...", "packs/xx/..."]}}
 */
public record PointReferences(String pointId, Set<String> objects) {
  public static final int VERSION = 1;

  public PointReferences {
    objects = Set.copyOf(new TreeSet<>(objects));
  }

  /** The pack ids among the objects. */
  public Set<String> packIds() {
    return idsUnder(ObjectKeys.PACKS);
  }

  /** The index segment ids among the objects. */
  public Set<String> segmentIds() {
    return idsUnder(ObjectKeys.INDEX);
  }

  private Set<String> idsUnder(String prefix) {
    Set<String> ids = new TreeSet<>();
    for (String key : objects) {
      if (key.startsWith(prefix)) {
        String id = ObjectKeys.idOf(key);
        if (id != null) {
          ids.add(id);
        }
      }
    }
    return ids;
  }

  public byte[] encode() {
    return new JsonObject().put("version", VERSION).put("point", pointId)
        .put("objects", new JsonArray(new ArrayList<>(new TreeSet<>(objects))))
        .encode().getBytes(StandardCharsets.UTF_8);
  }

  /** Parses what {@link #encode()} wrote; anything else is a {@link CorruptObjectException} naming the object. */
  public static PointReferences decode(String pointId, byte[] bytes) {
    String what = ObjectKeys.refs(pointId);
    JsonObject json;
    try {
      json = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw new CorruptObjectException(what + " is not JSON: " + e.getMessage());
    }
    if (!Integer.valueOf(VERSION).equals(json.getInteger("version")) || !pointId.equals(json.getString("point"))
        || !(json.getValue("objects") instanceof JsonArray array)) {
      throw new CorruptObjectException(what + " is not a version " + VERSION + " reference list of point " + pointId);
    }
    List<String> keys = new ArrayList<>();
    for (Object o : array) {
      if (!(o instanceof String key) || !(key.equals(ObjectKeys.CONFIG) || key.startsWith(ObjectKeys.PACKS)
          || key.startsWith(ObjectKeys.INDEX) || key.startsWith(ObjectKeys.KEYS)) || key.contains("..")) {
        throw new CorruptObjectException(what + " names " + o + ", which no point needs");
      }
      keys.add(key);
    }
    return new PointReferences(pointId, new TreeSet<>(keys));
  }
}
