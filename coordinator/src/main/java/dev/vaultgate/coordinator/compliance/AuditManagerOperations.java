package dev.vaultgate.coordinator.compliance;

import dev.vaultgate.coordinator.compliance.AuditRecords.Framework;
import dev.vaultgate.coordinator.compliance.AuditRecords.ReportJob;
import dev.vaultgate.coordinator.compliance.AuditRecords.ReportPlan;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import dev.vaultgate.coordinator.wire.OperationHandler;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * AWS Backup Audit Manager over the wire: frameworks, report plans and report jobs. A report job
 * is created RUNNING and answered at once; {@link ReportRunner} builds and delivers it after.
 */
public final class AuditManagerOperations {

  /** AWS's report templates; the compliance ones report on frameworks. */
  static final Set<String> TEMPLATES = Set.of("BACKUP_JOB_REPORT", "COPY_JOB_REPORT", "RESTORE_JOB_REPORT",
      "RESOURCE_COMPLIANCE_REPORT", "CONTROL_COMPLIANCE_REPORT");
  static final Set<String> COMPLIANCE_TEMPLATES = Set.of("RESOURCE_COMPLIANCE_REPORT", "CONTROL_COMPLIANCE_REPORT");
  static final Set<String> FORMATS = Set.of("CSV", "JSON");

  private final PgAuditStore store;
  private final ReportRunner runner;
  private final String region;

  public AuditManagerOperations(PgAuditStore store, ReportRunner runner, String region) {
    this.store = store;
    this.runner = runner;
    this.region = region;
  }

  /** The handlers, by operation name, for the backup API's route table. */
  public Map<String, OperationHandler> handlers() {
    Map<String, OperationHandler> h = new LinkedHashMap<>();
    h.put("CreateFramework", this::createFramework);
    h.put("DescribeFramework", this::describeFramework);
    h.put("ListFrameworks", this::listFrameworks);
    h.put("UpdateFramework", this::updateFramework);
    h.put("DeleteFramework", this::deleteFramework);
    h.put("CreateReportPlan", this::createReportPlan);
    h.put("DescribeReportPlan", this::describeReportPlan);
    h.put("ListReportPlans", this::listReportPlans);
    h.put("UpdateReportPlan", this::updateReportPlan);
    h.put("DeleteReportPlan", this::deleteReportPlan);
    h.put("StartReportJob", this::startReportJob);
    h.put("DescribeReportJob", this::describeReportJob);
    h.put("ListReportJobs", this::listReportJobs);
    return h;
  }

  Future<JsonObject> createFramework(CallContext call, JsonObject in) {
    String name = in.getString("FrameworkName");
    JsonArray controls = controls(in.getJsonArray("FrameworkControls"));
    Framework f = new Framework(call.accountId(), name, arn("framework", call.accountId(), name),
        in.getString("FrameworkDescription"), controls, in.getString("IdempotencyToken"), now(call));
    return store.createFramework(f).compose(created -> {
      if (created) return Future.succeededFuture(f);
      return store.framework(call.accountId(), name).map(existing -> {
        // the same request again (same token) answers the framework it made, as AWS does
        if (existing != null && f.idempotencyToken() != null && f.idempotencyToken().equals(existing.idempotencyToken())) {
          return existing;
        }
        throw ApiException.alreadyExists("Framework " + name + " already exists");
      });
    }).map(x -> new JsonObject().put("FrameworkName", x.name()).put("FrameworkArn", x.arn()));
  }

  Future<JsonObject> describeFramework(CallContext call, JsonObject in) {
    String name = in.getString("FrameworkName");
    return store.framework(call.accountId(), name).map(f -> {
      if (f == null) throw frameworkNotFound(name);
      return new JsonObject()
          .put("FrameworkName", f.name())
          .put("FrameworkArn", f.arn())
          .put("FrameworkDescription", f.description())
          .put("FrameworkControls", f.controls())
          .put("CreationTime", epoch(f.createdAt()))
          // controls are evaluated when a report runs, so a framework is deployed and active at once
          .put("DeploymentStatus", "COMPLETED")
          .put("FrameworkStatus", "ACTIVE")
          .put("IdempotencyToken", f.idempotencyToken());
    });
  }

  Future<JsonObject> listFrameworks(CallContext call, JsonObject in) {
    int limit = limit(in.getLong("MaxResults"));
    return store.frameworks(call.accountId(), after(in.getString("NextToken")), limit).map(rows -> {
      JsonArray list = new JsonArray();
      rows.stream().limit(limit).forEach(f -> list.add(new JsonObject()
          .put("FrameworkName", f.name())
          .put("FrameworkArn", f.arn())
          .put("FrameworkDescription", f.description())
          .put("NumberOfControls", f.controls().size())
          .put("CreationTime", epoch(f.createdAt()))
          .put("DeploymentStatus", "COMPLETED")));
      return new JsonObject().put("Frameworks", list)
          .put("NextToken", rows.size() > limit ? token(rows.get(limit - 1).name()) : null);
    });
  }

  Future<JsonObject> updateFramework(CallContext call, JsonObject in) {
    String name = in.getString("FrameworkName");
    JsonArray controls = in.getJsonArray("FrameworkControls") == null ? null : controls(in.getJsonArray("FrameworkControls"));
    return store.updateFramework(call.accountId(), name, in.getString("FrameworkDescription"), controls).map(f -> {
      if (f == null) throw frameworkNotFound(name);
      return new JsonObject().put("FrameworkName", f.name()).put("FrameworkArn", f.arn())
          .put("CreationTime", epoch(f.createdAt()));
    });
  }

  Future<JsonObject> deleteFramework(CallContext call, JsonObject in) {
    String name = in.getString("FrameworkName");
    return store.framework(call.accountId(), name).compose(f -> {
      if (f == null) throw frameworkNotFound(name);
      return store.plansUsing(call.accountId(), f.arn()).compose(plans -> {
        if (!plans.isEmpty()) {
          throw ApiException.of("ConflictException", "Framework " + name + " is used by report plan "
              + String.join(", ", plans) + "; delete or update the report plan first");
        }
        return store.deleteFramework(call.accountId(), name);
      });
    }).map(deleted -> new JsonObject());
  }

  Future<JsonObject> createReportPlan(CallContext call, JsonObject in) {
    String name = in.getString("ReportPlanName");
    JsonObject channel = channel(in.getJsonObject("ReportDeliveryChannel"));
    JsonObject setting = in.getJsonObject("ReportSetting").copy();
    return checkSetting(call.accountId(), setting)
        .compose(v -> runner.checkBucket(channel.getString("S3BucketName"), "CreateReportPlan " + name))
        .compose(v -> {
          ReportPlan p = new ReportPlan(call.accountId(), name, arn("report-plan", call.accountId(), name),
              in.getString("ReportPlanDescription"), channel, setting, now(call), null, null);
          return store.createPlan(p).map(created -> {
            if (!created) throw ApiException.alreadyExists("Report plan " + name + " already exists");
            return new JsonObject().put("ReportPlanName", p.name()).put("ReportPlanArn", p.arn())
                .put("CreationTime", epoch(p.createdAt()));
          });
        });
  }

  Future<JsonObject> describeReportPlan(CallContext call, JsonObject in) {
    String name = in.getString("ReportPlanName");
    return store.plan(call.accountId(), name).map(p -> {
      if (p == null) throw planNotFound(name);
      return new JsonObject().put("ReportPlan", plan(p));
    });
  }

  Future<JsonObject> listReportPlans(CallContext call, JsonObject in) {
    int limit = limit(in.getLong("MaxResults"));
    return store.plans(call.accountId(), after(in.getString("NextToken")), limit).map(rows -> {
      JsonArray list = new JsonArray();
      rows.stream().limit(limit).forEach(p -> list.add(plan(p)));
      return new JsonObject().put("ReportPlans", list)
          .put("NextToken", rows.size() > limit ? token(rows.get(limit - 1).name()) : null);
    });
  }

  Future<JsonObject> updateReportPlan(CallContext call, JsonObject in) {
    String name = in.getString("ReportPlanName");
    JsonObject channel = in.getJsonObject("ReportDeliveryChannel") == null ? null
        : channel(in.getJsonObject("ReportDeliveryChannel"));
    JsonObject setting = in.getJsonObject("ReportSetting") == null ? null : in.getJsonObject("ReportSetting").copy();
    return store.plan(call.accountId(), name).compose(existing -> {
      if (existing == null) throw planNotFound(name);
      return (setting == null ? Future.<Void>succeededFuture() : checkSetting(call.accountId(), setting))
          .compose(v -> channel == null ? Future.<Void>succeededFuture()
              : runner.checkBucket(channel.getString("S3BucketName"), "UpdateReportPlan " + name))
          .compose(v -> store.updatePlan(call.accountId(), name, in.getString("ReportPlanDescription"), channel, setting));
    }).map(p -> {
      if (p == null) throw planNotFound(name);
      return new JsonObject().put("ReportPlanName", p.name()).put("ReportPlanArn", p.arn())
          .put("CreationTime", epoch(p.createdAt()));
    });
  }

  Future<JsonObject> deleteReportPlan(CallContext call, JsonObject in) {
    String name = in.getString("ReportPlanName");
    return store.deletePlan(call.accountId(), name).map(deleted -> {
      if (!deleted) throw planNotFound(name);
      return new JsonObject();
    });
  }

  Future<JsonObject> startReportJob(CallContext call, JsonObject in) {
    String name = in.getString("ReportPlanName");
    return store.plan(call.accountId(), name).compose(p -> {
      if (p == null) throw planNotFound(name);
      return runner.start(p, now(call), in.getString("IdempotencyToken"));
    }).map(job -> new JsonObject().put("ReportJobId", job.reportJobId()));
  }

  Future<JsonObject> describeReportJob(CallContext call, JsonObject in) {
    String id = in.getString("ReportJobId");
    return store.job(call.accountId(), id).map(j -> {
      if (j == null) throw ApiException.notFound("Report job " + id + " does not exist");
      return new JsonObject().put("ReportJob", job(j));
    });
  }

  Future<JsonObject> listReportJobs(CallContext call, JsonObject in) {
    int limit = limit(in.getLong("MaxResults"));
    String status = in.getString("ByStatus");
    if (status != null && !List.of("CREATED", "RUNNING", "COMPLETED", "FAILED").contains(status)) {
      throw ApiException.invalidParameter("ByStatus must be CREATED, RUNNING, COMPLETED or FAILED, got " + status);
    }
    Instant beforeTime = Instant.parse("9999-12-31T00:00:00Z");
    String beforeId = "";
    if (in.getString("NextToken") != null) {
      String[] at = dev.vaultgate.coordinator.backup.Page.parts(in.getString("NextToken"), 2);
      beforeTime = Instant.parse(at[0]);
      beforeId = at[1];
    }
    String planName = in.getString("ByReportPlanName");
    Future<Void> planExists = planName == null ? Future.succeededFuture()
        : store.plan(call.accountId(), planName).map(p -> {
          if (p == null) throw planNotFound(planName);
          return null;
        });
    Instant t = beforeTime;
    String id = beforeId;
    return planExists.compose(v -> store.jobs(call.accountId(), planName, status, in.getInstant("ByCreationAfter"),
        in.getInstant("ByCreationBefore"), t, id, limit)).map(rows -> {
          JsonArray list = new JsonArray();
          rows.stream().limit(limit).forEach(j -> list.add(job(j)));
          ReportJob last = rows.size() > limit ? rows.get(limit - 1) : null;
          return new JsonObject().put("ReportJobs", list)
              .put("NextToken", last == null ? null
                  : dev.vaultgate.coordinator.backup.Page.token(last.createdAt().toString(), last.reportJobId()));
        });
  }

  /** Checks each control (name, parameters, scope) and answers the list as it is stored and answered. */
  static JsonArray controls(JsonArray in) {
    if (in == null || in.isEmpty()) throw ApiException.invalidParameter("FrameworkControls must name at least one control");
    JsonArray out = new JsonArray();
    for (Object o : in) {
      JsonObject control = ((JsonObject) o).copy();
      String name = control.getString("ControlName");
      try {
        Controls.validate(name, parameters(control));
      } catch (IllegalArgumentException e) {
        throw ApiException.invalidParameter(e.getMessage());
      }
      out.add(control);
    }
    return out;
  }

  /** A control's ControlInputParameters as a map; a parameter named twice is refused. */
  static Map<String, String> parameters(JsonObject control) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Object o : control.getJsonArray("ControlInputParameters", new JsonArray())) {
      JsonObject p = (JsonObject) o;
      String name = p.getString("ParameterName");
      if (name == null) {
        throw ApiException.invalidParameter("Control " + control.getString("ControlName") + ": a ControlInputParameter has no ParameterName");
      }
      if (out.put(name, p.getString("ParameterValue", "")) != null) {
        throw ApiException.invalidParameter("Control " + control.getString("ControlName") + ": parameter " + name + " is given twice");
      }
    }
    return out;
  }

  static ControlScope scope(JsonObject control) {
    JsonObject s = control.getJsonObject("ControlScope");
    if (s == null) return ControlScope.ALL;
    Map<String, String> tags = new LinkedHashMap<>();
    s.getJsonObject("Tags", new JsonObject()).forEach(e -> tags.put(e.getKey(), String.valueOf(e.getValue())));
    return new ControlScope(strings(s.getJsonArray("ComplianceResourceIds")),
        strings(s.getJsonArray("ComplianceResourceTypes")), tags);
  }

  private static List<String> strings(JsonArray a) {
    return a == null ? List.of() : a.stream().map(String::valueOf).toList();
  }

  private static JsonObject channel(JsonObject in) {
    JsonObject out = in.copy();
    JsonArray formats = in.getJsonArray("Formats");
    if (formats == null || formats.isEmpty()) {
      out.put("Formats", new JsonArray().add("CSV"));
    } else {
      for (Object f : formats) {
        if (!FORMATS.contains(String.valueOf(f))) {
          throw ApiException.invalidParameter("ReportDeliveryChannel.Formats: " + f + " is not CSV or JSON");
        }
      }
    }
    return out;
  }

  /** The template is one of AWS's; compliance reports name existing frameworks of the account. */
  private Future<Void> checkSetting(String accountId, JsonObject setting) {
    String template = setting.getString("ReportTemplate");
    if (!TEMPLATES.contains(template)) {
      throw ApiException.invalidParameter("ReportSetting.ReportTemplate " + template + " is not one of "
          + String.join(", ", new java.util.TreeSet<>(TEMPLATES)));
    }
    List<String> frameworks = strings(setting.getJsonArray("FrameworkArns"));
    if (COMPLIANCE_TEMPLATES.contains(template) && frameworks.isEmpty()) {
      throw ApiException.invalidParameter("ReportSetting.FrameworkArns is required for " + template);
    }
    setting.put("NumberOfFrameworks", frameworks.size());
    Future<Void> all = Future.succeededFuture();
    for (String arn : frameworks) {
      all = all.compose(v -> store.frameworkByArn(accountId, arn).map(f -> {
        if (f == null) throw ApiException.invalidParameter("ReportSetting.FrameworkArns: framework " + arn + " does not exist");
        return null;
      }));
    }
    return all;
  }

  private static JsonObject plan(ReportPlan p) {
    return new JsonObject()
        .put("ReportPlanArn", p.arn())
        .put("ReportPlanName", p.name())
        .put("ReportPlanDescription", p.description())
        .put("ReportSetting", p.setting())
        .put("ReportDeliveryChannel", p.deliveryChannel())
        .put("DeploymentStatus", "COMPLETED")
        .put("CreationTime", epoch(p.createdAt()))
        .put("LastAttemptedExecutionTime", epoch(p.lastAttemptedAt()))
        .put("LastSuccessfulExecutionTime", epoch(p.lastSuccessfulAt()));
  }

  private static JsonObject job(ReportJob j) {
    return new JsonObject()
        .put("ReportJobId", j.reportJobId())
        .put("ReportPlanArn", j.planArn())
        .put("ReportTemplate", j.template())
        .put("CreationTime", epoch(j.createdAt()))
        .put("CompletionTime", epoch(j.completedAt()))
        .put("Status", j.status())
        .put("StatusMessage", j.statusMessage())
        .put("ReportDestination", j.destination());
  }

  private String arn(String kind, String accountId, String name) {
    return "arn:aws:backup:" + region + ":" + accountId + ":" + kind + ":" + name + "-" + UUID.randomUUID();
  }

  private static Instant now(CallContext call) {
    return call.receivedAt().truncatedTo(ChronoUnit.MICROS);
  }

  static Number epoch(Instant t) {
    if (t == null) return null;
    long millis = t.toEpochMilli();
    return millis % 1000 == 0 ? (Number) (millis / 1000) : (Number) (millis / 1000.0);
  }

  private static int limit(Long max) {
    return max == null ? 1000 : max.intValue();
  }

  private static String token(String name) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(name.getBytes(StandardCharsets.UTF_8));
  }

  private static String after(String token) {
    if (token == null) return "";
    try {
      return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalidParameter("The NextToken '" + token + "' is not valid");
    }
  }

  static ApiException frameworkNotFound(String name) {
    return ApiException.notFound("Framework " + name + " does not exist");
  }

  static ApiException planNotFound(String name) {
    return ApiException.notFound("Report plan " + name + " does not exist");
  }
}
