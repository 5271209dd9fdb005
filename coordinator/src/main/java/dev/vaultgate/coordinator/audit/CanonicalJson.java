package dev.vaultgate.coordinator.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one text of a JSON value that is hashed and signed: object keys sorted, no whitespace, nulls
 * dropped. The stored text is what the verifier hashes, so the form only has to be fixed at write
 * time; sorting keeps it independent of the order a map happened to be built in.
 */
public final class CanonicalJson {

  private CanonicalJson() {}

  public static String encode(JsonObject value) {
    return new JsonObject(sorted(value.getMap())).encode();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> sorted(Map<String, Object> map) {
    Map<String, Object> out = new TreeMap<>();
    for (Map.Entry<String, Object> e : map.entrySet()) {
      Object v = normalized(e.getValue());
      if (v != null) out.put(e.getKey(), v);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object normalized(Object v) {
    if (v instanceof JsonObject o) return sorted(o.getMap());
    if (v instanceof Map<?, ?> m) return sorted((Map<String, Object>) m);
    if (v instanceof JsonArray a) return normalizedList(a.getList());
    if (v instanceof List<?> l) return normalizedList(l);
    return v;
  }

  private static List<Object> normalizedList(List<?> list) {
    List<Object> out = new ArrayList<>(list.size());
    for (Object item : list) out.add(normalized(item));
    return out;
  }

  /** Lower-case hex SHA-256 of the UTF-8 bytes. */
  public static String sha256(String text) {
    return sha256(text.getBytes(StandardCharsets.UTF_8));
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
