package dev.vaultgate.coordinator.agent;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The JSON body of an agent API request, read strictly: an object with only the fields the
 * operation names, each of the declared type and range; anything else is a 400 with a one-line
 * message that names the field.
 */
final class AgentRequest {

  private final JsonObject json;

  private AgentRequest(JsonObject json) {
    this.json = json;
  }

  /** An empty body reads as {@code {}}. */
  static AgentRequest parse(Buffer body, Set<String> fields) {
    if (body == null || body.length() == 0) return new AgentRequest(new JsonObject());
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      throw bad("SerializationException", "The request body is not a JSON object");
    }
    return of(json, fields, "");
  }

  static AgentRequest of(JsonObject json, Set<String> fields, String where) {
    for (String name : json.fieldNames()) {
      if (!fields.contains(name)) {
        throw invalid("Unknown field '" + where + name + "' (expected " + String.join(", ", fields) + ")");
      }
    }
    return new AgentRequest(json);
  }

  String string(String name, int maxLength, boolean required) {
    Object v = json.getValue(name);
    if (v == null) {
      if (required) throw bad("MissingParameterValueException", "Field '" + name + "' is required");
      return null;
    }
    if (!(v instanceof String s)) throw invalid("Field '" + name + "' must be a string");
    if (s.isEmpty() || s.length() > maxLength) {
      throw invalid("Field '" + name + "' must have 1 to " + maxLength + " characters");
    }
    return s;
  }

  Long integer(String name, long min, long max, boolean required) {
    Object v = json.getValue(name);
    if (v == null) {
      if (required) throw bad("MissingParameterValueException", "Field '" + name + "' is required");
      return null;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw invalid("Field '" + name + "' must be an integer");
    }
    long l = n.longValue();
    if (l < min || l > max) throw invalid("Field '" + name + "' must be between " + min + " and " + max + ", got " + l);
    return l;
  }

  Double number(String name, double min, double max) {
    Object v = json.getValue(name);
    if (v == null) return null;
    if (!(v instanceof Number n)) throw invalid("Field '" + name + "' must be a number");
    double d = n.doubleValue();
    if (!(d >= min && d <= max)) throw invalid("Field '" + name + "' must be between " + min + " and " + max);
    return d;
  }

  boolean bool(String name, boolean otherwise) {
    Object v = json.getValue(name);
    if (v == null) return otherwise;
    if (!(v instanceof Boolean b)) throw invalid("Field '" + name + "' must be true or false");
    return b;
  }

  /** A map of string to string, at most {@code maxEntries}, keys and values within the lengths. */
  Map<String, String> strings(String name, int maxEntries, int maxKey, int maxValue) {
    Object v = json.getValue(name);
    Map<String, String> out = new LinkedHashMap<>();
    if (v == null) return out;
    if (!(v instanceof JsonObject o)) throw invalid("Field '" + name + "' must be an object of strings");
    if (o.size() > maxEntries) throw invalid("Field '" + name + "' has more than " + maxEntries + " entries");
    for (Map.Entry<String, Object> e : o) {
      if (!(e.getValue() instanceof String s)) {
        throw invalid("Field '" + name + "." + e.getKey() + "' must be a string");
      }
      if (e.getKey().isEmpty() || e.getKey().length() > maxKey || s.length() > maxValue) {
        throw invalid("Field '" + name + "." + e.getKey() + "': keys have 1 to " + maxKey
            + " characters, values at most " + maxValue);
      }
      out.put(e.getKey(), s);
    }
    return out;
  }

  JsonArray array(String name, int maxItems, boolean required) {
    Object v = json.getValue(name);
    if (v == null) {
      if (required) throw bad("MissingParameterValueException", "Field '" + name + "' is required");
      return new JsonArray();
    }
    if (!(v instanceof JsonArray a)) throw invalid("Field '" + name + "' must be an array");
    if (a.size() > maxItems) throw invalid("Field '" + name + "' has more than " + maxItems + " items");
    return a;
  }

  /** The raw value of a field that must be present. */
  Object required(String name) {
    Object v = json.getValue(name);
    if (v == null) throw bad("MissingParameterValueException", "Field '" + name + "' is required");
    return v;
  }

  /** An optional ISO-8601 time ({@code 2026-11-23T10:15:30Z}). */
  java.time.Instant time(String name) {
    Object v = json.getValue(name);
    if (v == null) return null;
    if (v instanceof String s) {
      try {
        return java.time.Instant.parse(s);
      } catch (java.time.format.DateTimeParseException e) {
        // fall through to the one error below
      }
    }
    throw invalid("Field '" + name + "' must be an ISO-8601 UTC time such as 2026-11-23T10:15:30Z");
  }

  static ApiException invalid(String message) {
    return bad("InvalidParameterValueException", message);
  }

  private static ApiException bad(String type, String message) {
    return ApiException.withStatus(type, 400, message);
  }
}
