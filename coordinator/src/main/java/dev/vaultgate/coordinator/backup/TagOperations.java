package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * TagResource, UntagResource and ListTags. A resource is named by its ARN; an ARN of another
 * account or region, or of a resource that does not exist, is not found.
 */
final class TagOperations {

  static final int MAX_TAGS_PER_RESOURCE = 50;

  private final TagStore tags;
  private final VaultStore vaults;
  private final PlanStore plans;
  private final RecoveryPointStore points;
  private final LegalHoldStore holds;
  private final String region;

  TagOperations(TagStore tags, VaultStore vaults, PlanStore plans, RecoveryPointStore points, LegalHoldStore holds,
      String region) {
    this.tags = tags;
    this.vaults = vaults;
    this.plans = plans;
    this.points = points;
    this.holds = holds;
    this.region = region;
  }

  Future<JsonObject> tag(CallContext call, JsonObject in) {
    String arn = in.getString("ResourceArn");
    Map<String, String> add = VaultOperations.strings(in.getJsonObject("Tags"));
    for (String key : add.keySet()) {
      if (key.toLowerCase(Locale.ROOT).startsWith("aws:")) {
        throw ApiException.invalidParameter("Tag keys starting with 'aws:' are reserved: " + key);
      }
    }
    return exists(call, arn)
        .compose(v -> tags.tags(call.accountId(), arn))
        .compose(current -> {
          Set<String> keys = new HashSet<>(current.keySet());
          keys.addAll(add.keySet());
          if (keys.size() > MAX_TAGS_PER_RESOURCE) {
            throw ApiException.of("LimitExceededException",
                "A resource can have at most " + MAX_TAGS_PER_RESOURCE + " tags; this request would give it " + keys.size());
          }
          return tags.tag(call.accountId(), arn, add);
        })
        .map(v -> new JsonObject());
  }

  Future<JsonObject> untag(CallContext call, JsonObject in) {
    String arn = in.getString("ResourceArn");
    List<String> keys = new ArrayList<>();
    in.getJsonArray("TagKeyList").forEach(k -> keys.add((String) k));
    return exists(call, arn).compose(v -> tags.untag(call.accountId(), arn, keys)).map(v -> new JsonObject());
  }

  Future<JsonObject> list(CallContext call, JsonObject in) {
    String arn = in.getString("ResourceArn");
    return exists(call, arn)
        .compose(v -> tags.tags(call.accountId(), arn))
        .map(t -> new JsonObject().put("Tags", new JsonObject(new LinkedHashMap<>(t))));
  }

  /** Succeeds when the ARN names a resource of the caller's account that exists. */
  private Future<Void> exists(CallContext call, String arn) {
    String[] p = arn.split(":", 7);
    ApiException notFound = ApiException.notFound("Resource " + arn + " does not exist");
    if (p.length < 7 || !p[0].equals("arn") || !p[2].equals("backup") || !p[3].equals(region)
        || !p[4].equals(call.accountId())) {
      return Future.failedFuture(notFound);
    }
    Future<Boolean> found = switch (p[5]) {
      case "backup-vault" -> vaults.find(call.accountId(), p[6]).map(v -> v != null);
      case "backup-plan" -> plans.find(call.accountId(), p[6], null).map(plan -> plan != null && plan.deletedAt() == null);
      case "legal-hold" -> holds.find(call.accountId(), p[6]).map(h -> h != null);
      case "recovery-point" -> points.findByArn(call.accountId(), arn).map(point -> point != null);
      default -> Future.succeededFuture(false);
    };
    return found.compose(ok -> ok ? Future.succeededFuture() : Future.failedFuture(notFound));
  }
}
