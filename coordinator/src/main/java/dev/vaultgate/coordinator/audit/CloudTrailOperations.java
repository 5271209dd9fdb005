package dev.vaultgate.coordinator.audit;

import dev.vaultgate.coordinator.wire.OperationHandler;
import dev.vaultgate.coordinator.wire.ServiceModel;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * CloudTrail's LookupEvents over the activity log, served through the JSON 1.1 front: the
 * caller's account's events, newest first, filtered by one lookup attribute and a time range, a
 * page of at most 50 with a NextToken. {@code CloudTrailEvent} is the hashed record itself.
 */
public final class CloudTrailOperations {

  static final String SELECT = "SELECT seq, event_time, canonical, event_id, event_name, read_only, access_key_id,"
      + " event_source, username, resource_names, resource_types FROM activity_log"
      + " WHERE account_id = $1 AND event_time >= $2 AND event_time <= $3"
      + " AND (event_time, seq) < ($4, $5)";
  static final String ORDER = " ORDER BY event_time DESC, seq DESC LIMIT $7";
  /** Only LookupEvents is served; the trail-management operations answer NotImplemented. */
  static final List<String> OPERATIONS = List.of("LookupEvents");

  /**
   * CloudTrail's botocore model, read once. Coordinator.start touches it on a worker thread so
   * that the class is initialised (and the resource read) off the event loop.
   */
  public static final ServiceModel MODEL = ServiceModel.cloudTrail();

  private final Pool pool;

  public CloudTrailOperations(Pool pool) {
    this.pool = pool;
  }

  public static Map<String, OperationHandler> handlers(ServiceModel model, Pool pool) {
    CloudTrailOperations ops = new CloudTrailOperations(pool);
    return Map.of("LookupEvents", (call, input) -> ops.lookup(LookupQuery.from(call.accountId(), input)));
  }

  public Future<JsonObject> lookup(LookupQuery q) {
    String filter = q.attributeKey() == null ? "$6::text IS NULL" : LookupQuery.FILTERS.get(q.attributeKey());
    Instant start = q.start() == null ? Instant.EPOCH : q.start();
    Instant end = q.end() == null ? Instant.parse("9999-12-31T23:59:59Z") : q.end();
    // keyset: strictly before the last event answered, in (time, seq) order
    Instant beforeTime = q.afterEpochSecond() == null ? Instant.parse("9999-12-31T23:59:59Z")
        : Instant.ofEpochSecond(q.afterEpochSecond());
    long beforeSeq = q.afterSeq() == null ? Long.MAX_VALUE : q.afterSeq();
    if (q.afterEpochSecond() == null) beforeTime = beforeTime.plusSeconds(1);
    return pool.preparedQuery(SELECT + " AND " + filter + ORDER).execute(Tuple.from(new Object[] {
        q.accountId(), start.atOffset(ZoneOffset.UTC), end.atOffset(ZoneOffset.UTC),
        beforeTime.atOffset(ZoneOffset.UTC), beforeSeq, q.attributeValue(), q.maxResults() + 1}))
        .map(rows -> {
          JsonArray events = new JsonArray();
          String next = null;
          int n = 0;
          Row last = null;
          for (Row r : rows) {
            if (n == q.maxResults()) {
              next = q.tokenAfter(last.getOffsetDateTime(1).toEpochSecond(), last.getLong(0));
              break;
            }
            events.add(event(r));
            last = r;
            n++;
          }
          return new JsonObject().put("Events", events).put("NextToken", next);
        });
  }

  private static JsonObject event(Row r) {
    JsonArray resources = new JsonArray();
    String[] names = r.getArrayOfStrings(9);
    String[] types = r.getArrayOfStrings(10);
    for (int i = 0; i < names.length; i++) {
      resources.add(new JsonObject().put("ResourceType", types[i]).put("ResourceName", names[i]));
    }
    Boolean readOnly = r.getBoolean(5);
    return new JsonObject()
        .put("EventId", String.valueOf(r.getUUID(3)))
        .put("EventName", r.getString(4))
        .put("ReadOnly", readOnly == null ? null : readOnly.toString())
        .put("AccessKeyId", r.getString(6))
        .put("EventTime", r.getOffsetDateTime(1).toEpochSecond())
        .put("EventSource", r.getString(7))
        .put("Username", r.getString(8))
        .put("Resources", resources)
        .put("CloudTrailEvent", new JsonObject(r.getString(2)).getJsonObject("event").encode());
  }
}
