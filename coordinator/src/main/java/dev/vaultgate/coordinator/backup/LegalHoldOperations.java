package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.BackupArns;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Legal holds: create (ACTIVE at once), get, list, cancel, and the recovery points a hold
 * holds. While a hold is ACTIVE, no point it matches can be deleted.
 */
final class LegalHoldOperations {

  private final LegalHoldStore holds;
  private final RecoveryPointStore points;
  private final TagStore tags;
  private final String region;

  LegalHoldOperations(LegalHoldStore holds, RecoveryPointStore points, TagStore tags, String region) {
    this.holds = holds;
    this.points = points;
    this.tags = tags;
    this.region = region;
  }

  Future<JsonObject> create(CallContext call, JsonObject in) {
    JsonObject selection = storedSelection(in.getJsonObject("RecoveryPointSelection", new JsonObject()));
    Violations.check(() -> PgLegalHoldStore.scope(selection));
    String id = UUID.randomUUID().toString();
    LegalHold hold = new LegalHold(id, call.accountId(), BackupArns.legalHold(region, call.accountId(), id),
        in.getString("Title"), in.getString("Description"), "ACTIVE", selection, in.getString("IdempotencyToken"),
        Times.micros(call.receivedAt()), null, null, null);
    return holds.create(hold)
        .compose(h -> h.legalHoldId().equals(id)
            ? tags.tag(call.accountId(), h.arn(), VaultOperations.strings(in.getJsonObject("Tags"))).map(h)
            : Future.succeededFuture(h))
        .map(h -> new JsonObject()
            .put("Title", h.title())
            .put("Status", h.status())
            .put("Description", h.description())
            .put("LegalHoldId", h.legalHoldId())
            .put("LegalHoldArn", h.arn())
            .put("CreationDate", Times.epoch(h.createdAt()))
            .put("RecoveryPointSelection", h.selection()));
  }

  Future<JsonObject> get(CallContext call, JsonObject in) {
    String id = in.getString("LegalHoldId");
    return holds.find(call.accountId(), id).map(h -> {
      if (h == null) throw notFound(id);
      return summary(h)
          .put("CancelDescription", h.cancelDescription())
          .put("RetainRecordUntil", Times.epoch(h.retainRecordUntil()))
          .put("RecoveryPointSelection", h.selection());
    });
  }

  Future<JsonObject> list(CallContext call, JsonObject in) {
    return holds.list(call.accountId(), in.getString("NextToken"), Page.limit(in.getLong("MaxResults"))).map(page -> {
      JsonArray list = new JsonArray();
      page.items().forEach(h -> list.add(summary(h)));
      return new JsonObject().put("LegalHolds", list).put("NextToken", page.nextToken());
    });
  }

  Future<JsonObject> cancel(CallContext call, JsonObject in) {
    String id = in.getString("LegalHoldId");
    Long retainDays = in.getLong("RetainRecordInDays");
    if (retainDays != null && retainDays < 0) {
      throw ApiException.invalidParameter("RetainRecordInDays must not be negative, got " + retainDays);
    }
    Instant now = Times.micros(call.receivedAt());
    Instant retainUntil = retainDays == null ? null : now.plus(Duration.ofDays(retainDays));
    return holds.cancel(call.accountId(), id, in.getString("CancelDescription"), retainUntil, now).map(h -> {
      if (h == null) throw notFound(id);
      return new JsonObject();
    });
  }

  Future<JsonObject> recoveryPoints(CallContext call, JsonObject in) {
    String id = in.getString("LegalHoldId");
    return holds.find(call.accountId(), id).compose(h -> {
      if (h == null) throw notFound(id);
      if (!"ACTIVE".equals(h.status())) return Future.succeededFuture(new Page<RecoveryPoint>(java.util.List.of(), null));
      return points.listByScope(call.accountId(), PgLegalHoldStore.scope(h.selection()), in.getString("NextToken"),
          Page.limit(in.getLong("MaxResults")));
    }).map(page -> {
      JsonArray list = new JsonArray();
      for (RecoveryPoint p : page.items()) {
        list.add(new JsonObject()
            .put("RecoveryPointArn", p.arn())
            .put("ResourceArn", p.resourceArn())
            .put("ResourceType", p.resourceType())
            .put("BackupVaultName", p.vaultName()));
      }
      return new JsonObject().put("RecoveryPoints", list).put("NextToken", page.nextToken());
    });
  }

  /** The selection as stored and answered: dates as epoch seconds. */
  private static JsonObject storedSelection(JsonObject in) {
    JsonObject out = in.copy();
    JsonObject range = in.getJsonObject("DateRange");
    if (range != null) {
      out.put("DateRange", new JsonObject()
          .put("FromDate", Times.epoch(range.getInstant("FromDate")))
          .put("ToDate", Times.epoch(range.getInstant("ToDate"))));
    }
    return out;
  }

  private static JsonObject summary(LegalHold h) {
    return new JsonObject()
        .put("Title", h.title())
        .put("Status", h.status())
        .put("Description", h.description())
        .put("LegalHoldId", h.legalHoldId())
        .put("LegalHoldArn", h.arn())
        .put("CreationDate", Times.epoch(h.createdAt()))
        .put("CancellationDate", Times.epoch(h.cancelledAt()));
  }

  static ApiException notFound(String id) {
    return ApiException.notFound("Legal hold " + id + " does not exist");
  }
}
