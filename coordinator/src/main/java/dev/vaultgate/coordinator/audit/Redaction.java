package dev.vaultgate.coordinator.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What never reaches the activity log: the value of any member whose name says it holds a secret
 * (passwords, secret keys, tokens, activation keys, private keys, credentials, KMS plaintexts), at any depth, is
 * replaced by CloudTrail's own marker. Pagination tokens are not secrets and stay.
 */
public final class Redaction {

  public static final String HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS";

  private static final String[] SECRET_WORDS = {
    "password", "passphrase", "secret", "token", "activationkey", "privatekey", "credential", "authorization",
    "sessionkey", "apikey", "plaintext"
  };
  private static final Set<String> NOT_SECRET = Set.of("nexttoken", "paginationtoken", "creatorrequestid",
      "idempotencytoken");

  private Redaction() {}

  static boolean isSecret(String memberName) {
    String name = memberName.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
    if (NOT_SECRET.contains(name)) return false;
    for (String word : SECRET_WORDS) {
      if (name.contains(word)) return true;
    }
    return false;
  }

  /** A redacted deep copy; the input is not changed (the front still uses it). */
  public static JsonObject redacted(JsonObject in) {
    if (in == null) return null;
    JsonObject out = new JsonObject();
    for (Map.Entry<String, Object> e : in) {
      out.put(e.getKey(), isSecret(e.getKey()) && e.getValue() != null ? HIDDEN : redactedValue(e.getValue()));
    }
    return out;
  }

  private static Object redactedValue(Object v) {
    if (v instanceof JsonObject o) return redacted(o);
    if (v instanceof Map<?, ?> m) return redacted(new JsonObject(castMap(m)));
    if (v instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      for (Object item : a) out.add(redactedValue(item));
      return out;
    }
    if (v instanceof java.util.List<?> l) return redactedValue(new JsonArray(new java.util.ArrayList<>(l)));
    return v;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }
}
