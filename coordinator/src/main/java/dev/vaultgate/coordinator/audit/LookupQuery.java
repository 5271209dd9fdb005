package dev.vaultgate.coordinator.audit;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

/**
 * A LookupEvents request, checked the way CloudTrail checks it: at most one lookup attribute, of a
 * known key (the model's enum; ReadOnly takes true or false); a start time not after the end time;
 * 1-50 results (default 50); a NextToken only with the parameters it was issued for. The token
 * carries the keyset position (time and seq of the last event answered), so pages never skip or
 * repeat an event while new ones arrive. Pure.
 */
public record LookupQuery(String accountId, String attributeKey, String attributeValue, Instant start, Instant end,
    int maxResults, Long afterEpochSecond, Long afterSeq) {

  public static final int MAX_RESULTS = 50;

  /** The column test of each lookup attribute; {@code $6} is the value. */
  static final Map<String, String> FILTERS = Map.of(
      "EventId", "event_id::text = $6",
      "EventName", "event_name = $6",
      "ReadOnly", "read_only = ($6 = 'true')",
      "Username", "username = $6",
      "ResourceType", "$6 = ANY (resource_types)",
      "ResourceName", "$6 = ANY (resource_names)",
      "EventSource", "event_source = $6",
      "AccessKeyId", "access_key_id = $6");

  static ApiException invalid(String type, String message) {
    return ApiException.withStatus(type, 400, message);
  }

  /** Reads the validated input of LookupEvents for {@code accountId}. */
  public static LookupQuery from(String accountId, JsonObject input) {
    String key = null;
    String value = null;
    JsonArray attributes = input.getJsonArray("LookupAttributes");
    if (attributes != null && attributes.size() > 1) {
      throw invalid("InvalidLookupAttributesException", "LookupAttributes can contain only one item, got "
          + attributes.size());
    }
    if (attributes != null && attributes.size() == 1) {
      JsonObject a = attributes.getJsonObject(0);
      key = a.getString("AttributeKey");
      value = a.getString("AttributeValue");
      if (!FILTERS.containsKey(key)) {
        throw invalid("InvalidLookupAttributesException", "Lookup attribute key " + key + " is not one of "
            + new java.util.TreeSet<>(FILTERS.keySet()));
      }
      if (key.equals("ReadOnly") && !value.equals("true") && !value.equals("false")) {
        throw invalid("InvalidLookupAttributesException", "Lookup attribute ReadOnly takes true or false, not '"
            + value + "'");
      }
    }
    Instant start = input.getInstant("StartTime");
    Instant end = input.getInstant("EndTime");
    if (start != null && end != null && start.isAfter(end)) {
      throw invalid("InvalidTimeRangeException", "StartTime " + start + " is after EndTime " + end);
    }
    if (input.containsKey("EventCategory") && !"insight".equals(input.getString("EventCategory"))) {
      throw invalid("InvalidEventCategoryException", "EventCategory must be insight");
    }
    Integer max = input.getInteger("MaxResults");
    if (max != null && (max < 1 || max > MAX_RESULTS)) {
      throw invalid("InvalidMaxResultsException", "MaxResults must be 1 to " + MAX_RESULTS + ", not " + max);
    }
    LookupQuery q = new LookupQuery(accountId, key, value, start, end, max == null ? MAX_RESULTS : max, null, null);
    String token = input.getString("NextToken");
    return token == null ? q : q.after(token);
  }

  /** The same query continuing after the position {@code token} names. */
  LookupQuery after(String token) {
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid("InvalidNextTokenException", "NextToken is not a token this service issued");
    }
    String[] parts = text.split(":", 4);
    if (parts.length != 4 || !parts[0].equals("v1")) {
      throw invalid("InvalidNextTokenException", "NextToken is not a token this service issued");
    }
    if (!parts[3].equals(fingerprint())) {
      throw invalid("InvalidNextTokenException", "NextToken was issued for other parameters: pass the same"
          + " LookupAttributes, StartTime and EndTime as the call that returned it");
    }
    try {
      return new LookupQuery(accountId, attributeKey, attributeValue, start, end, maxResults,
          Long.parseLong(parts[1]), Long.parseLong(parts[2]));
    } catch (NumberFormatException e) {
      throw invalid("InvalidNextTokenException", "NextToken is not a token this service issued");
    }
  }

  /** The token for the page after the event at {@code (epochSecond, seq)}. */
  String tokenAfter(long epochSecond, long seq) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("v1:" + epochSecond + ":" + seq + ":"
        + fingerprint()).getBytes(StandardCharsets.UTF_8));
  }

  private String fingerprint() {
    return CanonicalJson.sha256(accountId + "\n" + attributeKey + "\n" + attributeValue + "\n" + start + "\n" + end)
        .substring(0, 16);
  }
}
