package dev.vaultgate.coordinator.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of the activity log: a CloudTrail record ({@code eventVersion}, {@code userIdentity},
 * {@code eventTime}, {@code eventSource}, {@code eventName}, {@code requestParameters}, {@code
 * resources}, ...). The record is the truth; {@link #fields()} derives the columns lookups use from
 * it, so the verifier can derive them again and compare.
 */
public record ActivityEvent(JsonObject record) {

  /** The lookup columns of a record (what LookupEvents filters on). */
  public record Fields(String eventId, Instant eventTime, String accountId, String eventSource, String eventName,
      String username, String accessKeyId, Boolean readOnly, List<String> resourceNames, List<String> resourceTypes) {}

  public Fields fields() {
    return fieldsOf(record);
  }

  public static Fields fieldsOf(JsonObject record) {
    JsonObject who = record.getJsonObject("userIdentity", new JsonObject());
    List<String> names = new ArrayList<>();
    List<String> types = new ArrayList<>();
    JsonArray resources = record.getJsonArray("resources", new JsonArray());
    for (int i = 0; i < resources.size(); i++) {
      JsonObject r = resources.getJsonObject(i);
      String name = r.getString("ARN", r.getString("resourceName"));
      if (name == null) continue;
      names.add(name);
      types.add(r.getString("type", ""));
    }
    return new Fields(record.getString("eventID"), Instant.parse(record.getString("eventTime")),
        record.getString("recipientAccountId"), record.getString("eventSource"), record.getString("eventName"),
        who.getString("userName"), who.getString("accessKeyId"), record.getBoolean("readOnly"), names, types);
  }
}
