package dev.vaultgate.coordinator.wire;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks a request against the shapes of a {@link ServiceModel} and gives it types: required
 * members, unknown members, types, min/max (length, size or value), enums and patterns. A
 * violation is an {@link ApiException} ({@code MissingParameterValueException} or
 * {@code InvalidParameterValueException}) whose message names the member by its path.
 */
public final class ModelValidator {

  private static final Pattern NO_PATTERN = Pattern.compile("");

  private final ServiceModel model;
  private final String invalidType;
  private final String missingType;
  private final Map<String, Pattern> patterns = new ConcurrentHashMap<>();

  /**
   * Violations are reported with the error types the model declares: {@code
   * InvalidParameterValueException} and {@code MissingParameterValueException} where it has them
   * (backup), else {@code ValidationException} for both (backup-gateway, cloudtrail's newer
   * services, ...).
   */
  public ModelValidator(ServiceModel model) {
    this.model = model;
    boolean ownTypes = model.hasShape("InvalidParameterValueException");
    this.invalidType = ownTypes ? "InvalidParameterValueException" : "ValidationException";
    this.missingType = ownTypes && model.hasShape("MissingParameterValueException")
        ? "MissingParameterValueException" : invalidType;
  }

  /** The error a value that breaks the model is answered with. */
  public ApiException invalid(String message) {
    return ApiException.of(invalidType, message);
  }

  private ApiException missing(String message) {
    return ApiException.of(missingType, message);
  }

  /**
   * Converts a member that arrived as text (URI label, query string or header) to its
   * shape's type; a list shape takes every value of a repeated query parameter.
   */
  public Object fromText(String shapeName, List<String> values, String path) {
    JsonObject shape = model.shape(shapeName);
    String type = shape.getString("type");
    if ("list".equals(type)) {
      String member = shape.getJsonObject("member").getString("shape");
      JsonArray out = new JsonArray();
      for (String v : values) out.add(fromText(member, List.of(v), path));
      return out;
    }
    String text = values.get(0);
    switch (type) {
      case "integer":
      case "long":
        try {
          return Long.parseLong(text);
        } catch (NumberFormatException e) {
          throw invalid(path + ": '" + text + "' is not an integer");
        }
      case "double":
      case "float":
        try {
          return Double.parseDouble(text);
        } catch (NumberFormatException e) {
          throw invalid(path + ": '" + text + "' is not a number");
        }
      case "boolean":
        if ("true".equalsIgnoreCase(text)) return Boolean.TRUE;
        if ("false".equalsIgnoreCase(text)) return Boolean.FALSE;
        throw invalid(path + ": '" + text + "' is not a boolean");
      case "timestamp":
        return parseTimestamp(text, path);
      default:
        return text;
    }
  }

  /** Validates a structure; {@code path} prefixes member names in messages ("" at the top). */
  public JsonObject structure(String shapeName, JsonObject value, String path) {
    JsonObject members = model.members(shapeName);
    JsonObject out = new JsonObject();
    for (Map.Entry<String, Object> e : value) {
      String name = e.getKey();
      JsonObject member = members.getJsonObject(name);
      String memberPath = path.isEmpty() ? name : path + "." + name;
      if (member == null) {
        throw invalid(
            "Unknown parameter " + memberPath + (path.isEmpty() ? "" : " in " + path));
      }
      if (e.getValue() == null) continue;
      out.put(name, value(member.getString("shape"), e.getValue(), memberPath));
    }
    for (String req : model.required(shapeName)) {
      if (!out.containsKey(req)) {
        throw missing(
            "Missing required parameter " + (path.isEmpty() ? req : path + "." + req));
      }
    }
    return out;
  }

  /** Validates and types any value against its shape. */
  public Object value(String shapeName, Object value, String path) {
    JsonObject shape = model.shape(shapeName);
    String type = shape.getString("type");
    switch (type) {
      case "structure":
        if (!(value instanceof JsonObject obj)) throw wrongType(path, "an object", value);
        return structure(shapeName, obj, path);
      case "list":
        {
          if (!(value instanceof JsonArray arr)) throw wrongType(path, "a list", value);
          checkRange(shape, arr.size(), path, "size");
          String member = shape.getJsonObject("member").getString("shape");
          JsonArray out = new JsonArray();
          for (int i = 0; i < arr.size(); i++) {
            Object v = arr.getValue(i);
            if (v == null) throw invalid(path + "[" + i + "]: null is not allowed");
            out.add(value(member, v, path + "[" + i + "]"));
          }
          return out;
        }
      case "map":
        {
          if (!(value instanceof JsonObject obj)) throw wrongType(path, "a map", value);
          checkRange(shape, obj.size(), path, "size");
          String keyShape = shape.getJsonObject("key").getString("shape");
          String valueShape = shape.getJsonObject("value").getString("shape");
          JsonObject out = new JsonObject();
          for (Map.Entry<String, Object> e : obj) {
            value(keyShape, e.getKey(), path + " key");
            if (e.getValue() == null) {
              throw invalid(path + "." + e.getKey() + ": null is not allowed");
            }
            out.put(e.getKey(), value(valueShape, e.getValue(), path + "." + e.getKey()));
          }
          return out;
        }
      case "string":
        {
          if (!(value instanceof String s)) throw wrongType(path, "a string", value);
          JsonArray allowed = shape.getJsonArray("enum");
          if (allowed != null && !allowed.contains(s)) {
            throw invalid(
                path + ": '" + s + "' is not one of " + String.join(", ", allowed.getList()));
          }
          checkRange(shape, s.length(), path, "length");
          String pattern = shape.getString("pattern");
          if (pattern != null) {
            Pattern p = patterns.computeIfAbsent(pattern, ModelValidator::compile);
            if (p != NO_PATTERN && !p.matcher(s).find()) {
              throw invalid(
                  path + ": '" + s + "' does not match the pattern " + pattern);
            }
          }
          return s;
        }
      case "integer":
      case "long":
        {
          long n = integral(value, path);
          checkRange(shape, n, path, "value");
          return n;
        }
      case "double":
      case "float":
        if (!(value instanceof Number num)) throw wrongType(path, "a number", value);
        return num.doubleValue();
      case "boolean":
        if (!(value instanceof Boolean)) throw wrongType(path, "a boolean", value);
        return value;
      case "timestamp":
        if (value instanceof Instant) return value;
        if (value instanceof Number num) return epochSeconds(num, path);
        if (value instanceof String s) return parseTimestamp(s, path);
        throw wrongType(path, "a timestamp", value);
      case "blob":
        if (!(value instanceof String)) throw wrongType(path, "base64 text", value);
        return value;
      default:
        return value;
    }
  }

  private long integral(Object value, String path) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      return ((Number) value).longValue();
    }
    if (value instanceof BigInteger big) {
      try {
        return big.longValueExact();
      } catch (ArithmeticException e) {
        throw invalid(path + ": " + big + " is out of range");
      }
    }
    if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
      double d = ((Number) value).doubleValue();
      if (d == Math.rint(d) && Math.abs(d) < 9.0e15) return (long) d;
    }
    throw wrongType(path, "an integer", value);
  }

  private void checkRange(JsonObject shape, long actual, String path, String what) {
    Number min = shape.getNumber("min");
    Number max = shape.getNumber("max");
    if (min != null && actual < min.longValue()) {
      throw invalid(
          path + ": " + what + " " + actual + " is below the minimum of " + min.longValue());
    }
    if (max != null && actual > max.longValue()) {
      throw invalid(
          path + ": " + what + " " + actual + " is above the maximum of " + max.longValue());
    }
  }

  private Instant epochSeconds(Number num, String path) {
    double d = num.doubleValue();
    if (Double.isNaN(d) || Math.abs(d) > 1.0e13) {
      throw invalid(path + ": " + num + " is not a timestamp");
    }
    long seconds = (long) Math.floor(d);
    long nanos = Math.round((d - seconds) * 1_000_000_000L);
    return Instant.ofEpochSecond(seconds, Math.min(nanos, 999_999_999L));
  }

  private Instant parseTimestamp(String text, String path) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      try {
        return epochSeconds(Double.parseDouble(text), path);
      } catch (NumberFormatException e2) {
        throw invalid(path + ": '" + text + "' is not a timestamp");
      }
    }
  }

  private ApiException wrongType(String path, String expected, Object value) {
    String actual =
        value instanceof JsonObject ? "an object"
            : value instanceof JsonArray ? "a list"
            : value instanceof String ? "a string"
            : value instanceof Boolean ? "a boolean"
            : value instanceof Number ? "a number"
            : "a " + value.getClass().getSimpleName();
    return invalid(path + ": expected " + expected + ", got " + actual);
  }

  private static Pattern compile(String pattern) {
    try {
      return Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      return NO_PATTERN; // a pattern Java cannot read is not enforced rather than refusing all
    }
  }
}
