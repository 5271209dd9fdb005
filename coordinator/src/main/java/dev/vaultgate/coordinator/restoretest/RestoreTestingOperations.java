package dev.vaultgate.coordinator.restoretest;

import dev.vaultgate.coordinator.restoretest.RestoreTestRules.PointSelection;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import dev.vaultgate.coordinator.wire.OperationHandler;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Restore testing over the wire: plans and selections (Create/Get/List/Update/Delete),
 * PutRestoreValidationResult, GetRestoreTestingInferredMetadata, and what DescribeRestoreJob adds
 * for a restore test (CreatedBy.RestoreTestingPlanArn, ValidationStatus, DeletionStatus).
 */
public final class RestoreTestingOperations {

  static final String PLAN_COLUMNS = "account_id, name, arn, schedule_expression, schedule_timezone, start_window_hours,"
      + " point_selection, creator_request_id, created_at, updated_at, last_execution_at";
  static final String INSERT_PLAN = "INSERT INTO restore_testing_plans (" + PLAN_COLUMNS + ") VALUES ($1, $2, $3, $4,"
      + " $5, $6, $7, $8, $9, NULL, NULL) ON CONFLICT (account_id, name) DO NOTHING RETURNING name";
  static final String FIND_PLAN = "SELECT " + PLAN_COLUMNS + " FROM restore_testing_plans WHERE account_id = $1 AND name = $2";
  static final String LIST_PLANS = "SELECT " + PLAN_COLUMNS + " FROM restore_testing_plans WHERE account_id = $1"
      + " AND name > $2 ORDER BY name LIMIT $3";
  static final String UPDATE_PLAN = "UPDATE restore_testing_plans SET schedule_expression = $3, schedule_timezone = $4,"
      + " start_window_hours = $5, point_selection = $6, updated_at = $7 WHERE account_id = $1 AND name = $2";
  static final String DELETE_PLAN = "DELETE FROM restore_testing_plans p WHERE account_id = $1 AND name = $2"
      + " AND NOT EXISTS (SELECT 1 FROM restore_testing_selections s WHERE s.account_id = p.account_id"
      + " AND s.plan_name = p.name) RETURNING name";
  static final String SELECTION_COLUMNS = "account_id, plan_name, name, document, creator_request_id, created_at, updated_at";
  static final String INSERT_SELECTION = "INSERT INTO restore_testing_selections (" + SELECTION_COLUMNS
      + ") VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT DO NOTHING RETURNING name";
  static final String FIND_SELECTION = "SELECT " + SELECTION_COLUMNS + " FROM restore_testing_selections"
      + " WHERE account_id = $1 AND plan_name = $2 AND name = $3";
  static final String LIST_SELECTIONS = "SELECT " + SELECTION_COLUMNS + " FROM restore_testing_selections"
      + " WHERE account_id = $1 AND plan_name = $2 AND name > $3 ORDER BY name LIMIT $4";
  static final String UPDATE_SELECTION = "UPDATE restore_testing_selections SET document = $4, updated_at = $5"
      + " WHERE account_id = $1 AND plan_name = $2 AND name = $3";
  static final String DELETE_SELECTION = "DELETE FROM restore_testing_selections WHERE account_id = $1"
      + " AND plan_name = $2 AND name = $3 RETURNING name";
  static final String RESTORE_JOB = "SELECT status, restore_testing_plan_arn, validation_status, deletion_status,"
      + " validation_status_message, deletion_status_message FROM restore_jobs WHERE account_id = $1 AND job_id = $2";
  static final String PUT_VALIDATION = "UPDATE restore_jobs SET validation_status = $3, validation_status_message = $4"
      + " WHERE account_id = $1 AND job_id = $2";
  static final String JOBS_OF_PLAN = "SELECT job_id FROM restore_jobs WHERE account_id = $1"
      + " AND restore_testing_plan_arn = $2 ORDER BY created_at DESC, job_id DESC LIMIT $3";
  static final String INFERRED = "SELECT restore_metadata FROM recovery_points WHERE account_id = $1"
      + " AND vault_name = $2 AND recovery_point_arn = $3";

  private final Pool pool;
  private final String region;

  public RestoreTestingOperations(Pool pool, String region) {
    this.pool = pool;
    this.region = region;
  }

  public Map<String, OperationHandler> handlers() {
    Map<String, OperationHandler> h = new LinkedHashMap<>();
    h.put("CreateRestoreTestingPlan", this::createPlan);
    h.put("GetRestoreTestingPlan", this::getPlan);
    h.put("ListRestoreTestingPlans", this::listPlans);
    h.put("UpdateRestoreTestingPlan", this::updatePlan);
    h.put("DeleteRestoreTestingPlan", this::deletePlan);
    h.put("CreateRestoreTestingSelection", this::createSelection);
    h.put("GetRestoreTestingSelection", this::getSelection);
    h.put("ListRestoreTestingSelections", this::listSelections);
    h.put("UpdateRestoreTestingSelection", this::updateSelection);
    h.put("DeleteRestoreTestingSelection", this::deleteSelection);
    h.put("PutRestoreValidationResult", this::putValidationResult);
    h.put("GetRestoreTestingInferredMetadata", this::inferredMetadata);
    return h;
  }

  /** DescribeRestoreJob plus the restore-test members, when the job is one. */
  public OperationHandler describeRestoreJob(OperationHandler plain) {
    return (call, in) -> plain.handle(call, in).compose(out -> pool.preparedQuery(RESTORE_JOB)
        .execute(Tuple.of(call.accountId(), in.getString("RestoreJobId"))).map(rows -> {
          if (rows.size() == 0) return out;
          Row r = rows.iterator().next();
          if (r.getString("restore_testing_plan_arn") == null) return out;
          JsonObject createdBy = out.getJsonObject("CreatedBy", new JsonObject());
          out.put("CreatedBy", createdBy.put("RestoreTestingPlanArn", r.getString("restore_testing_plan_arn")));
          return out.put("ValidationStatus", r.getString("validation_status"))
              .put("ValidationStatusMessage", r.getString("validation_status_message"))
              .put("DeletionStatus", r.getString("deletion_status"))
              .put("DeletionStatusMessage", r.getString("deletion_status_message"));
        }));
  }

  /**
   * ListRestoreJobs; with ByRestoreTestingPlanArn, the plan's restore tests, newest first (up to
   * MaxResults, one page), each as DescribeRestoreJob answers it.
   */
  public OperationHandler listRestoreJobs(OperationHandler plain, OperationHandler describe) {
    return (call, in) -> {
      String planArn = in.getString("ByRestoreTestingPlanArn");
      if (planArn == null) return plain.handle(call, in);
      return pool.preparedQuery(JOBS_OF_PLAN).execute(Tuple.of(call.accountId(), planArn, in.getInteger("MaxResults", 1000)))
          .compose(rows -> {
            List<Future<JsonObject>> jobs = new java.util.ArrayList<>();
            for (Row r : rows) jobs.add(describe.handle(call, new JsonObject().put("RestoreJobId", r.getString(0))));
            return Future.all(jobs).map(all -> {
              JsonArray list = new JsonArray();
              jobs.forEach(j -> list.add(j.result()));
              return new JsonObject().put("RestoreJobs", list);
            });
          });
    };
  }

  Future<JsonObject> createPlan(CallContext call, JsonObject in) {
    JsonObject p = in.getJsonObject("RestoreTestingPlan");
    String name = name(p.getString("RestoreTestingPlanName"), "RestoreTestingPlanName");
    JsonObject selection = pointSelection(p.getJsonObject("RecoveryPointSelection"));
    int window = startWindow(p.getInteger("StartWindowHours"));
    schedule(p.getString("ScheduleExpression"), p.getString("ScheduleExpressionTimezone"));
    String arn = "arn:aws:backup:" + region + ":" + call.accountId() + ":restore-testing-plan:" + name + "-"
        + UUID.randomUUID();
    Instant now = now(call);
    return pool.preparedQuery(INSERT_PLAN).execute(Tuple.tuple().addValue(call.accountId()).addValue(name).addValue(arn)
        .addValue(p.getString("ScheduleExpression")).addValue(p.getString("ScheduleExpressionTimezone")).addValue(window)
        .addValue(selection).addValue(in.getString("CreatorRequestId")).addValue(db(now))).map(rows -> {
          if (rows.size() == 0) throw ApiException.alreadyExists("Restore testing plan " + name + " already exists");
          return new JsonObject().put("CreationTime", epoch(now)).put("RestoreTestingPlanArn", arn)
              .put("RestoreTestingPlanName", name);
        });
  }

  Future<JsonObject> getPlan(CallContext call, JsonObject in) {
    return plan(call.accountId(), in.getString("RestoreTestingPlanName"))
        .map(r -> new JsonObject().put("RestoreTestingPlan", planJson(r, true)));
  }

  Future<JsonObject> listPlans(CallContext call, JsonObject in) {
    int limit = in.getInteger("MaxResults", 1000);
    return pool.preparedQuery(LIST_PLANS).execute(Tuple.of(call.accountId(), after(in.getString("NextToken")), limit + 1))
        .map(rows -> {
          JsonArray list = new JsonArray();
          String last = null;
          int n = 0;
          for (Row r : rows) {
            if (n++ == limit) break;
            list.add(planJson(r, false));
            last = r.getString("name");
          }
          return new JsonObject().put("RestoreTestingPlans", list).put("NextToken", rows.size() > limit ? last : null);
        });
  }

  Future<JsonObject> updatePlan(CallContext call, JsonObject in) {
    String name = in.getString("RestoreTestingPlanName");
    JsonObject u = in.getJsonObject("RestoreTestingPlan");
    return plan(call.accountId(), name).compose(r -> {
      String expression = u.getString("ScheduleExpression", r.getString("schedule_expression"));
      String timezone = u.getString("ScheduleExpressionTimezone", r.getString("schedule_timezone"));
      schedule(expression, timezone);
      int window = u.getInteger("StartWindowHours") == null ? r.getInteger("start_window_hours")
          : startWindow(u.getInteger("StartWindowHours"));
      JsonObject selection = u.getJsonObject("RecoveryPointSelection") == null ? (JsonObject) r.getValue("point_selection")
          : pointSelection(((JsonObject) r.getValue("point_selection")).copy().mergeIn(u.getJsonObject("RecoveryPointSelection")));
      Instant now = now(call);
      return pool.preparedQuery(UPDATE_PLAN).execute(Tuple.tuple().addValue(call.accountId()).addValue(name)
          .addValue(expression).addValue(timezone).addValue(window).addValue(selection).addValue(db(now)))
          .map(x -> new JsonObject().put("CreationTime", epoch(instant(r, "created_at")))
              .put("RestoreTestingPlanArn", r.getString("arn")).put("RestoreTestingPlanName", name)
              .put("UpdateTime", epoch(now)));
    });
  }

  Future<JsonObject> deletePlan(CallContext call, JsonObject in) {
    String name = in.getString("RestoreTestingPlanName");
    return plan(call.accountId(), name).compose(r -> pool.preparedQuery(DELETE_PLAN).execute(Tuple.of(call.accountId(), name)))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ApiException.invalidRequest("Restore testing plan " + name + " still has selections: delete them first");
          }
          return new JsonObject();
        });
  }

  Future<JsonObject> createSelection(CallContext call, JsonObject in) {
    String planName = in.getString("RestoreTestingPlanName");
    JsonObject s = selection(in.getJsonObject("RestoreTestingSelection").copy());
    String name = name(s.getString("RestoreTestingSelectionName"), "RestoreTestingSelectionName");
    Instant now = now(call);
    return plan(call.accountId(), planName).compose(plan -> pool.preparedQuery(INSERT_SELECTION).execute(Tuple.tuple()
        .addValue(call.accountId()).addValue(planName).addValue(name).addValue(s).addValue(in.getString("CreatorRequestId"))
        .addValue(db(now))).map(rows -> {
          if (rows.size() == 0) {
            throw ApiException.alreadyExists("Restore testing selection " + name + " of plan " + planName + " already exists");
          }
          return new JsonObject().put("CreationTime", epoch(now)).put("RestoreTestingPlanArn", plan.getString("arn"))
              .put("RestoreTestingPlanName", planName).put("RestoreTestingSelectionName", name);
        }));
  }

  Future<JsonObject> getSelection(CallContext call, JsonObject in) {
    String planName = in.getString("RestoreTestingPlanName");
    String name = in.getString("RestoreTestingSelectionName");
    return selectionRow(call.accountId(), planName, name).map(r -> {
      JsonObject out = ((JsonObject) r.getValue("document")).copy()
          .put("RestoreTestingPlanName", planName)
          .put("CreationTime", epoch(instant(r, "created_at")))
          .put("CreatorRequestId", r.getString("creator_request_id"));
      return new JsonObject().put("RestoreTestingSelection", out);
    });
  }

  Future<JsonObject> listSelections(CallContext call, JsonObject in) {
    String planName = in.getString("RestoreTestingPlanName");
    int limit = in.getInteger("MaxResults", 1000);
    return plan(call.accountId(), planName).compose(plan -> pool.preparedQuery(LIST_SELECTIONS)
        .execute(Tuple.of(call.accountId(), planName, after(in.getString("NextToken")), limit + 1))).map(rows -> {
          JsonArray list = new JsonArray();
          String last = null;
          int n = 0;
          for (Row r : rows) {
            if (n++ == limit) break;
            JsonObject d = (JsonObject) r.getValue("document");
            list.add(new JsonObject().put("CreationTime", epoch(instant(r, "created_at")))
                .put("IamRoleArn", d.getString("IamRoleArn"))
                .put("ProtectedResourceType", d.getString("ProtectedResourceType"))
                .put("RestoreTestingPlanName", planName)
                .put("RestoreTestingSelectionName", r.getString("name"))
                .put("ValidationWindowHours", d.getInteger("ValidationWindowHours")));
            last = r.getString("name");
          }
          return new JsonObject().put("RestoreTestingSelections", list).put("NextToken", rows.size() > limit ? last : null);
        });
  }

  Future<JsonObject> updateSelection(CallContext call, JsonObject in) {
    String planName = in.getString("RestoreTestingPlanName");
    String name = in.getString("RestoreTestingSelectionName");
    Instant now = now(call);
    return plan(call.accountId(), planName).compose(plan -> selectionRow(call.accountId(), planName, name).compose(r -> {
      JsonObject merged = ((JsonObject) r.getValue("document")).copy().mergeIn(in.getJsonObject("RestoreTestingSelection"));
      JsonObject doc = selection(merged);
      return pool.preparedQuery(UPDATE_SELECTION).execute(Tuple.tuple().addValue(call.accountId()).addValue(planName)
          .addValue(name).addValue(doc).addValue(db(now))).map(x -> new JsonObject()
          .put("CreationTime", epoch(instant(r, "created_at"))).put("RestoreTestingPlanArn", plan.getString("arn"))
          .put("RestoreTestingPlanName", planName).put("RestoreTestingSelectionName", name).put("UpdateTime", epoch(now)));
    }));
  }

  Future<JsonObject> deleteSelection(CallContext call, JsonObject in) {
    String planName = in.getString("RestoreTestingPlanName");
    String name = in.getString("RestoreTestingSelectionName");
    return pool.preparedQuery(DELETE_SELECTION).execute(Tuple.of(call.accountId(), planName, name)).map(rows -> {
      if (rows.size() == 0) throw selectionNotFound(planName, name);
      return new JsonObject();
    });
  }

  Future<JsonObject> putValidationResult(CallContext call, JsonObject in) {
    String id = in.getString("RestoreJobId");
    String status = in.getString("ValidationStatus");
    return pool.preparedQuery(RESTORE_JOB).execute(Tuple.of(call.accountId(), id)).compose(rows -> {
      if (rows.size() == 0) throw ApiException.notFound("Restore job " + id + " does not exist");
      Row r = rows.iterator().next();
      if (r.getString("restore_testing_plan_arn") == null) {
        throw ApiException.invalidRequest("Restore job " + id + " is not a restore test: it has no validation");
      }
      if (!"COMPLETED".equals(r.getString("status"))) {
        throw ApiException.invalidRequest("Restore job " + id + " is " + r.getString("status")
            + ": only a completed restore test can be validated");
      }
      if (r.getString("deletion_status") != null) {
        throw ApiException.invalidRequest("Restore job " + id + ": its validation window has closed (validation "
            + r.getString("validation_status") + ")");
      }
      return pool.preparedQuery(PUT_VALIDATION).execute(Tuple.of(call.accountId(), id, status,
          in.getString("ValidationStatusMessage")));
    }).map(x -> new JsonObject());
  }

  Future<JsonObject> inferredMetadata(CallContext call, JsonObject in) {
    String account = in.getString("BackupVaultAccountId", call.accountId());
    if (!account.equals(call.accountId())) {
      throw ApiException.notFound("Vault " + in.getString("BackupVaultName") + " of account " + account + " is not visible");
    }
    String arn = in.getString("RecoveryPointArn");
    return pool.preparedQuery(INFERRED).execute(Tuple.of(call.accountId(), in.getString("BackupVaultName"), arn))
        .map(rows -> {
          if (rows.size() == 0) throw ApiException.notFound("Recovery point " + arn + " does not exist in vault "
              + in.getString("BackupVaultName"));
          JsonObject meta = (JsonObject) rows.iterator().next().getValue("restore_metadata");
          return new JsonObject().put("InferredMetadata", meta == null ? new JsonObject() : meta);
        });
  }

  private Future<Row> plan(String accountId, String name) {
    return pool.preparedQuery(FIND_PLAN).execute(Tuple.of(accountId, name)).map(rows -> {
      if (rows.size() == 0) throw ApiException.notFound("Restore testing plan " + name + " does not exist");
      return rows.iterator().next();
    });
  }

  private Future<Row> selectionRow(String accountId, String planName, String name) {
    return pool.preparedQuery(FIND_SELECTION).execute(Tuple.of(accountId, planName, name)).map(rows -> {
      if (rows.size() == 0) throw selectionNotFound(planName, name);
      return rows.iterator().next();
    });
  }

  private static ApiException selectionNotFound(String planName, String name) {
    return ApiException.notFound("Restore testing selection " + name + " of plan " + planName + " does not exist");
  }

  private static JsonObject planJson(Row r, boolean full) {
    JsonObject out = new JsonObject()
        .put("CreationTime", epoch(instant(r, "created_at")))
        .put("LastExecutionTime", epoch(instant(r, "last_execution_at")))
        .put("LastUpdateTime", epoch(instant(r, "updated_at")))
        .put("RestoreTestingPlanArn", r.getString("arn"))
        .put("RestoreTestingPlanName", r.getString("name"))
        .put("ScheduleExpression", r.getString("schedule_expression"))
        .put("ScheduleExpressionTimezone", r.getString("schedule_timezone"))
        .put("StartWindowHours", r.getInteger("start_window_hours"));
    if (full) {
      out.put("RecoveryPointSelection", r.getValue("point_selection"))
          .put("CreatorRequestId", r.getString("creator_request_id"));
    }
    return out;
  }

  /** Checks RecoveryPointSelection (defaults: SelectionWindowDays 30) and answers it as stored. */
  static JsonObject pointSelection(JsonObject in) {
    if (in == null) throw ApiException.missingParameter("RestoreTestingPlan.RecoveryPointSelection is required");
    JsonObject out = in.copy();
    if (!out.containsKey("SelectionWindowDays")) out.put("SelectionWindowDays", 30);
    if (!out.containsKey("ExcludeVaults")) out.put("ExcludeVaults", new JsonArray());
    try {
      toSelection(out);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw ApiException.invalidParameter(e.getMessage());
    }
    return out;
  }

  static PointSelection toSelection(JsonObject stored) {
    return new PointSelection(String.valueOf(stored.getString("Algorithm")), strings(stored.getJsonArray("IncludeVaults")),
        strings(stored.getJsonArray("ExcludeVaults")), stored.getInteger("SelectionWindowDays", 30));
  }

  /** What gateways restore: vCenter's VMs and the appliances' local volumes. */
  static final List<String> RESOURCE_TYPES = List.of("VirtualMachine", "LocalVolume");

  /** Checks a selection: type, what it protects (ARNs or conditions), validation window (default 24 h). */
  static JsonObject selection(JsonObject s) {
    if (!RESOURCE_TYPES.contains(String.valueOf(s.getString("ProtectedResourceType")))) {
      throw ApiException.invalidParameter("ProtectedResourceType must be VirtualMachine or LocalVolume (the resources"
          + " Vaultgate restores), got " + s.getString("ProtectedResourceType"));
    }
    List<String> arns = strings(s.getJsonArray("ProtectedResourceArns"));
    boolean conditions = s.getJsonObject("ProtectedResourceConditions") != null;
    if (arns.isEmpty() && !conditions) {
      throw ApiException.invalidParameter("A restore testing selection names ProtectedResourceArns (or *) or"
          + " ProtectedResourceConditions");
    }
    if (arns.size() > 30) throw ApiException.invalidParameter("ProtectedResourceArns: at most 30, got " + arns.size());
    if (!s.containsKey("ValidationWindowHours")) s.put("ValidationWindowHours", 24);
    int hours = s.getInteger("ValidationWindowHours");
    if (hours < 0 || hours > 168) throw ApiException.invalidParameter("ValidationWindowHours must be 0..168, got " + hours);
    if (s.getString("IamRoleArn") == null) throw ApiException.missingParameter("IamRoleArn is required");
    return s;
  }

  private static void schedule(String expression, String timezone) {
    try {
      RestoreTestRules.latestDue(expression, timezone, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH, 1);
    } catch (RuntimeException e) {
      throw ApiException.invalidParameter(e.getMessage());
    }
  }

  private static int startWindow(Integer hours) {
    int h = hours == null ? 24 : hours;
    if (h < 1 || h > 168) throw ApiException.invalidParameter("StartWindowHours must be 1..168, got " + h);
    return h;
  }

  private static String name(String name, String member) {
    if (name == null || !name.matches("[A-Za-z0-9_]{1,50}")) {
      throw ApiException.invalidParameter(member + " must be 1 to 50 letters, digits or underscores, got " + name);
    }
    return name;
  }

  static List<String> strings(JsonArray a) {
    return a == null ? List.of() : a.stream().map(String::valueOf).toList();
  }

  private static String after(String token) {
    return token == null ? "" : token;
  }

  private static Instant now(CallContext call) {
    return call.receivedAt().truncatedTo(ChronoUnit.MICROS);
  }

  static OffsetDateTime db(Instant t) {
    return t == null ? null : t.atOffset(ZoneOffset.UTC);
  }

  private static Instant instant(Row r, String column) {
    OffsetDateTime t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant();
  }

  static Number epoch(Instant t) {
    if (t == null) return null;
    long millis = t.toEpochMilli();
    return millis % 1000 == 0 ? (Number) (millis / 1000) : (Number) (millis / 1000.0);
  }
}
