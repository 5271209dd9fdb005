package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.BackupArns;
import dev.vaultgate.coordinator.rules.BackupRuleSpec;
import dev.vaultgate.coordinator.rules.ScheduleExpression;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Backup plans (create, get, update with a new version, delete, list, list versions) and their
 * selections. A plan's rules are checked against AWS Backup's rules before anything is stored.
 */
final class PlanOperations {

  static final String DEFAULT_TIMEZONE = "Etc/UTC";

  private final PlanStore plans;
  private final String region;

  PlanOperations(PlanStore plans, String region) {
    this.plans = plans;
    this.region = region;
  }

  Future<JsonObject> create(CallContext call, JsonObject in) {
    JsonObject document = document(in.getJsonObject("BackupPlan"), null);
    String planId = UUID.randomUUID().toString();
    Instant now = Times.micros(call.receivedAt());
    BackupPlanVersion plan = new BackupPlanVersion(planId, call.accountId(), BackupArns.plan(region, call.accountId(), planId),
        document.getString("BackupPlanName"), newVersionId(), in.getString("CreatorRequestId"), now, null, null, document);
    return plans.create(plan, VaultOperations.strings(in.getJsonObject("BackupPlanTags")))
        .map(p -> new JsonObject()
            .put("BackupPlanId", p.planId())
            .put("BackupPlanArn", p.arn())
            .put("CreationDate", Times.epoch(p.createdAt()))
            .put("VersionId", p.versionId())
            .put("AdvancedBackupSettings", p.document().getJsonArray("AdvancedBackupSettings")));
  }

  Future<JsonObject> get(CallContext call, JsonObject in) {
    String planId = in.getString("BackupPlanId");
    return plans.find(call.accountId(), planId, in.getString("VersionId")).map(p -> {
      if (p == null) throw notFound(planId);
      JsonObject out = new JsonObject()
          .put("BackupPlan", p.document())
          .put("BackupPlanId", p.planId())
          .put("BackupPlanArn", p.arn())
          .put("VersionId", p.versionId())
          .put("CreatorRequestId", p.creatorRequestId())
          .put("CreationDate", Times.epoch(p.createdAt()))
          .put("DeletionDate", Times.epoch(p.deletedAt()))
          .put("LastExecutionDate", Times.epoch(p.lastExecutionAt()))
          .put("AdvancedBackupSettings", p.document().getJsonArray("AdvancedBackupSettings"));
      Long preview = in.getLong("MaxScheduledRunsPreview");
      if (preview != null && preview > 0 && p.deletedAt() == null) {
        out.put("ScheduledRunsPreview", preview(p, call.receivedAt(), preview.intValue()));
      }
      return out;
    });
  }

  Future<JsonObject> update(CallContext call, JsonObject in) {
    String planId = in.getString("BackupPlanId");
    JsonObject input = in.getJsonObject("BackupPlan");
    document(input, null); // check before taking the row lock
    return plans.update(call.accountId(), planId, newVersionId(), Times.micros(call.receivedAt()),
            current -> document(input, current))
        .map(p -> {
          if (p == null) throw notFound(planId);
          return new JsonObject()
              .put("BackupPlanId", p.planId())
              .put("BackupPlanArn", p.arn())
              .put("CreationDate", Times.epoch(p.createdAt()))
              .put("VersionId", p.versionId())
              .put("AdvancedBackupSettings", p.document().getJsonArray("AdvancedBackupSettings"));
        });
  }

  Future<JsonObject> delete(CallContext call, JsonObject in) {
    String planId = in.getString("BackupPlanId");
    return plans.delete(call.accountId(), planId, Times.micros(call.receivedAt())).map(p -> {
      if (p == null) throw notFound(planId);
      return new JsonObject()
          .put("BackupPlanId", p.planId())
          .put("BackupPlanArn", p.arn())
          .put("DeletionDate", Times.epoch(p.deletedAt()))
          .put("VersionId", p.versionId());
    });
  }

  Future<JsonObject> list(CallContext call, JsonObject in) {
    boolean includeDeleted = Boolean.TRUE.equals(in.getBoolean("IncludeDeleted"));
    return plans.list(call.accountId(), includeDeleted, in.getString("NextToken"), Page.limit(in.getLong("MaxResults")))
        .map(page -> new JsonObject()
            .put("BackupPlansList", listMembers(page.items()))
            .put("NextToken", page.nextToken()));
  }

  Future<JsonObject> versions(CallContext call, JsonObject in) {
    String planId = in.getString("BackupPlanId");
    return plans.versions(call.accountId(), planId, in.getString("NextToken"), Page.limit(in.getLong("MaxResults")))
        .map(page -> {
          if (page == null) throw notFound(planId);
          return new JsonObject()
              .put("BackupPlanVersionsList", listMembers(page.items()))
              .put("NextToken", page.nextToken());
        });
  }

  Future<JsonObject> createSelection(CallContext call, JsonObject in) {
    String planId = in.getString("BackupPlanId");
    JsonObject doc = in.getJsonObject("BackupSelection");
    BackupSelection s = new BackupSelection(UUID.randomUUID().toString(), planId, call.accountId(),
        doc.getString("SelectionName"), doc.getString("IamRoleArn"), doc, in.getString("CreatorRequestId"),
        Times.micros(call.receivedAt()));
    return plans.createSelection(s).map(created -> {
      if (created == null) throw notFound(planId);
      return new JsonObject()
          .put("SelectionId", created.selectionId())
          .put("BackupPlanId", created.planId())
          .put("CreationDate", Times.epoch(created.createdAt()));
    });
  }

  Future<JsonObject> getSelection(CallContext call, JsonObject in) {
    String planId = in.getString("BackupPlanId");
    String selectionId = in.getString("SelectionId");
    return plans.findSelection(call.accountId(), planId, selectionId).map(s -> {
      if (s == null) throw selectionNotFound(planId, selectionId);
      return new JsonObject()
          .put("BackupSelection", s.document())
          .put("SelectionId", s.selectionId())
          .put("BackupPlanId", s.planId())
          .put("CreationDate", Times.epoch(s.createdAt()))
          .put("CreatorRequestId", s.creatorRequestId());
    });
  }

  Future<JsonObject> listSelections(CallContext call, JsonObject in) {
    String planId = in.getString("BackupPlanId");
    return plans.listSelections(call.accountId(), planId, in.getString("NextToken"), Page.limit(in.getLong("MaxResults")))
        .map(page -> {
          if (page == null) throw notFound(planId);
          JsonArray list = new JsonArray();
          for (BackupSelection s : page.items()) {
            list.add(new JsonObject()
                .put("SelectionId", s.selectionId())
                .put("SelectionName", s.name())
                .put("BackupPlanId", s.planId())
                .put("CreationDate", Times.epoch(s.createdAt()))
                .put("CreatorRequestId", s.creatorRequestId())
                .put("IamRoleArn", s.iamRoleArn()));
          }
          return new JsonObject().put("BackupSelectionsList", list).put("NextToken", page.nextToken());
        });
  }

  Future<JsonObject> deleteSelection(CallContext call, JsonObject in) {
    String planId = in.getString("BackupPlanId");
    String selectionId = in.getString("SelectionId");
    return plans.deleteSelection(call.accountId(), planId, selectionId).map(deleted -> {
      if (!deleted) throw selectionNotFound(planId, selectionId);
      return new JsonObject();
    });
  }

  /**
   * The stored document of a plan input: rules checked, defaults filled in (windows, time
   * zone), and rule ids given (kept from the previous version for rules of the same name).
   */
  static JsonObject document(JsonObject input, JsonObject previous) {
    Map<String, String> previousIds = new HashMap<>();
    if (previous != null) {
      for (Object r : previous.getJsonArray("Rules", new JsonArray())) {
        JsonObject rule = (JsonObject) r;
        previousIds.put(rule.getString("RuleName"), rule.getString("RuleId"));
      }
    }
    JsonObject doc = input.copy();
    JsonArray rules = new JsonArray();
    List<BackupRuleSpec> specs = new ArrayList<>();
    for (Object r : input.getJsonArray("Rules")) {
      JsonObject rule = ((JsonObject) r).copy();
      specs.add(spec(rule));
      rule.put("RuleId", previousIds.getOrDefault(rule.getString("RuleName"), UUID.randomUUID().toString()));
      if (!rule.containsKey("StartWindowMinutes")) {
        rule.put("StartWindowMinutes", BackupRuleSpec.DEFAULT_START_WINDOW_MINUTES);
      }
      if (!rule.containsKey("CompletionWindowMinutes")) {
        rule.put("CompletionWindowMinutes", BackupRuleSpec.DEFAULT_COMPLETION_WINDOW_MINUTES);
      }
      if (rule.containsKey("ScheduleExpression") && !rule.containsKey("ScheduleExpressionTimezone")) {
        rule.put("ScheduleExpressionTimezone", DEFAULT_TIMEZONE);
      }
      rules.add(rule);
    }
    Violations.check(() -> BackupRuleSpec.checkPlan(specs));
    doc.put("Rules", rules);
    return doc;
  }

  static BackupRuleSpec spec(JsonObject rule) {
    JsonObject lifecycle = rule.getJsonObject("Lifecycle", new JsonObject());
    List<BackupRuleSpec.CopyActionSpec> copies = new ArrayList<>();
    for (Object c : rule.getJsonArray("CopyActions", new JsonArray())) {
      JsonObject copy = (JsonObject) c;
      JsonObject copyLifecycle = copy.getJsonObject("Lifecycle", new JsonObject());
      copies.add(new BackupRuleSpec.CopyActionSpec(copy.getString("DestinationBackupVaultArn"),
          copyLifecycle.getLong("MoveToColdStorageAfterDays"), copyLifecycle.getLong("DeleteAfterDays")));
    }
    return new BackupRuleSpec(rule.getString("RuleName"), rule.getString("ScheduleExpression"),
        rule.getString("ScheduleExpressionTimezone"), rule.getLong("StartWindowMinutes"),
        rule.getLong("CompletionWindowMinutes"), lifecycle.getLong("MoveToColdStorageAfterDays"),
        lifecycle.getLong("DeleteAfterDays"), copies);
  }

  /** The next runs of every scheduled rule, soonest first. */
  static JsonArray preview(BackupPlanVersion plan, Instant now, int count) {
    record Run(Instant at, String ruleId) {}
    List<Run> runs = new ArrayList<>();
    for (Object r : plan.document().getJsonArray("Rules", new JsonArray())) {
      JsonObject rule = (JsonObject) r;
      String expression = rule.getString("ScheduleExpression");
      if (expression == null) continue;
      ScheduleExpression schedule = ScheduleExpression.parse(expression);
      ZoneId zone = ScheduleExpression.zone(rule.getString("ScheduleExpressionTimezone"));
      Instant t = now;
      for (int i = 0; i < count; i++) {
        t = schedule.next(t, zone, plan.createdAt());
        if (t == null) break;
        runs.add(new Run(t, rule.getString("RuleId")));
      }
    }
    runs.sort(Comparator.comparing(Run::at));
    JsonArray out = new JsonArray();
    runs.stream().limit(count).forEach(run ->
        out.add(new JsonObject().put("ExecutionTime", Times.epoch(run.at())).put("RuleId", run.ruleId())));
    return out;
  }

  private static JsonArray listMembers(List<BackupPlanVersion> plans) {
    JsonArray list = new JsonArray();
    for (BackupPlanVersion p : plans) {
      list.add(new JsonObject()
          .put("BackupPlanArn", p.arn())
          .put("BackupPlanId", p.planId())
          .put("CreationDate", Times.epoch(p.createdAt()))
          .put("DeletionDate", Times.epoch(p.deletedAt()))
          .put("VersionId", p.versionId())
          .put("BackupPlanName", p.name())
          .put("CreatorRequestId", p.creatorRequestId())
          .put("LastExecutionDate", Times.epoch(p.lastExecutionAt()))
          .put("AdvancedBackupSettings", p.document().getJsonArray("AdvancedBackupSettings")));
    }
    return list;
  }

  /** AWS's version ids are base64 text of a UUID. */
  static String newVersionId() {
    return Base64.getEncoder().withoutPadding()
        .encodeToString(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
  }

  static ApiException notFound(String planId) {
    return ApiException.notFound("Backup plan " + planId + " does not exist");
  }

  static ApiException selectionNotFound(String planId, String selectionId) {
    return ApiException.notFound("Selection " + selectionId + " does not exist in backup plan " + planId);
  }
}
