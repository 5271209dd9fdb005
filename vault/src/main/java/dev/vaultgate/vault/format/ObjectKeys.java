package dev.vaultgate.vault.format;

import java.util.regex.Pattern;

/** The names of the objects in a vault, relative to its root. */
public final class ObjectKeys {
  public static final String CONFIG = "config";
  public static final String PACKS = "packs/";
  public static final String INDEX = "index/";
  public static final String POINTS = "points/";
  /** Per recovery point, in the clear: the objects it needs (see {@link PointReferences}). */
  public static final String REFS = "refs/";

  /** Data-key generations after the config's ({@code keys/<id>}, see {@code repo.DataKeyObject}). */
  public static final String KEYS = "keys/";

  private static final Pattern HEX_ID = Pattern.compile("[0-9a-f]{32}");

  private ObjectKeys() {
  }

  public static String pack(String packId) {
    return PACKS + packId.substring(0, 2) + "/" + packId;
  }

  public static String index(String segmentId) {
    return INDEX + segmentId;
  }

  /**
   * {@code index/<id>.superseded}: the mark that index segment {@code <id>} no longer counts, because a gc of a locked
   * vault wrote what of it still holds into a new segment while Object Lock kept it from being deleted (see
   * {@code repo.IndexListing}).
   */
  public static String supersededMark(String segmentId) {
    return INDEX + segmentId + SUPERSEDED;
  }

  /** The segment id of a {@link #supersededMark} key; null for any other key. */
  public static String supersededIdOf(String key) {
    return indexIdOf(key, SUPERSEDED);
  }

  private static final String SUPERSEDED = ".superseded";

  /** The id of {@code index/<id><suffix>}; null for any other key. */
  static String indexIdOf(String key, String suffix) {
    if (!key.startsWith(INDEX) || !key.endsWith(suffix)) {
      return null;
    }
    String id = key.substring(INDEX.length(), key.length() - suffix.length());
    return HEX_ID.matcher(id).matches() ? id : null;
  }

  public static String point(String recoveryPointId) {
    return POINTS + recoveryPointId;
  }

  public static String key(String generationId) {
    return KEYS + generationId;
  }

  public static String refs(String recoveryPointId) {
    return REFS + recoveryPointId;
  }

  /** The id at the end of a key ({@code packs/3f/3f9c...} gives {@code 3f9c...}), or null when the name is not one of ours. */
  public static String idOf(String key) {
    String id = key.substring(key.lastIndexOf('/') + 1);
    return HEX_ID.matcher(id).matches() ? id : null;
  }

  public static boolean isId(String id) {
    return id != null && HEX_ID.matcher(id).matches();
  }
}
