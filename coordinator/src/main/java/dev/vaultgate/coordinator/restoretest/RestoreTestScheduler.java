package dev.vaultgate.coordinator.restoretest;

import dev.vaultgate.coordinator.restoretest.RestoreTestRules.Candidate;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * Runs restore testing plans on their schedules: the replica whose conditional update claims a
 * plan's due tick starts, in the same transaction, one restore job per resource its selections take
 * (the point the plan's RecoveryPointSelection picks, the selection's RestoreMetadataOverrides over
 * the point's restore metadata), tagged with the plan. Gateways lease and run them like any restore.
 * When a completed test's ValidationWindowHours has passed, its validation is closed (TIMED_OUT
 * unless a result came) and its clean-up starts (DeletionStatus DELETING).
 */
public final class RestoreTestScheduler {

  static final String PLANS = "SELECT account_id, name, arn, schedule_expression, schedule_timezone, start_window_hours,"
      + " point_selection, created_at, last_execution_at FROM restore_testing_plans ORDER BY account_id, name";
  static final String CLAIM = "UPDATE restore_testing_plans SET last_execution_at = $3 WHERE account_id = $1 AND name = $2"
      + " AND (last_execution_at IS NULL OR last_execution_at < $3) RETURNING name";
  static final String SELECTIONS = "SELECT name, document FROM restore_testing_selections WHERE account_id = $1"
      + " AND plan_name = $2 ORDER BY name";
  static final String RESOURCES = "SELECT i.resource_arn, i.resource_type, i.tags"
      + " || COALESCE((SELECT jsonb_object_agg(rt.key, rt.value) FROM resource_tags rt"
      + " WHERE rt.account_id = i.account_id AND rt.resource_arn = i.resource_arn), '{}'::jsonb) AS tags"
      + " FROM inventory i WHERE i.account_id = $1"
      + " UNION ALL SELECT DISTINCT p.resource_arn, p.resource_type, '{}'::jsonb FROM recovery_points p"
      + " WHERE p.account_id = $1 AND NOT EXISTS (SELECT 1 FROM inventory i WHERE i.account_id = $1"
      + " AND i.resource_arn = p.resource_arn)";
  static final String POINTS = "SELECT p.recovery_point_arn, p.resource_arn, p.vault_name, v.arn AS vault_arn, p.created_at,"
      + " p.status FROM recovery_points p JOIN backup_vaults v ON v.account_id = p.account_id AND v.name = p.vault_name"
      + " WHERE p.account_id = $1 AND p.created_at >= $2";
  static final String POINT = "SELECT vault_arn, resource_arn, resource_type, size_bytes, restore_metadata, created_at"
      + " FROM recovery_points WHERE recovery_point_arn = $1";
  static final String INSERT_JOB = "INSERT INTO restore_jobs (job_id, account_id, recovery_point_arn, vault_arn,"
      + " source_resource_arn, resource_type, iam_role_arn, status, percent_done, backup_size_bytes, metadata,"
      + " recovery_point_created_at, created_at, restore_testing_plan_arn, restore_testing_selection,"
      + " validation_window_hours) VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING', '0.0', $8, $9, $10, $11, $12, $13, $14)";
  static final String CLOSE_VALIDATION = "UPDATE restore_jobs SET validation_status = CASE WHEN validation_status IS NULL"
      + " OR validation_status = 'VALIDATING' THEN 'TIMED_OUT' ELSE validation_status END,"
      + " deletion_status = COALESCE(deletion_status, 'DELETING'), deletion_status_message = CASE WHEN deletion_status"
      + " IS NULL THEN 'the gateway deletes ' || coalesce(created_resource_arn, 'the restored resource')"
      + " ELSE deletion_status_message END WHERE restore_testing_plan_arn IS NOT NULL"
      + " AND (deletion_status IS NULL OR validation_status IS NULL OR validation_status = 'VALIDATING')"
      + " AND status = 'COMPLETED' AND completed_at + make_interval(hours => validation_window_hours) <= $1"
      + " RETURNING job_id";

  /** What a pass did. */
  public record Result(int plansRun, List<String> jobsStarted, int resourcesWithoutPoint, int validationsClosed) {}

  private final Pool pool;
  private final Random random;

  public RestoreTestScheduler(Pool pool, Random random) {
    this.pool = pool;
    this.random = random;
  }

  public Future<Result> tick(Instant now) {
    Instant at = now.truncatedTo(ChronoUnit.MICROS);
    return pool.query(PLANS).execute().compose(plans -> {
      List<Future<int[]>> runs = new ArrayList<>();
      List<String> started = java.util.Collections.synchronizedList(new ArrayList<>());
      for (Row plan : plans) {
        Instant anchor = plan.getOffsetDateTime("created_at").toInstant();
        Instant after = plan.getOffsetDateTime("last_execution_at") == null ? anchor
            : plan.getOffsetDateTime("last_execution_at").toInstant();
        Instant due;
        try {
          due = RestoreTestRules.latestDue(plan.getString("schedule_expression"), plan.getString("schedule_timezone"),
              anchor, after, at, plan.getInteger("start_window_hours"));
        } catch (RuntimeException e) {
          continue; // checked when stored; a plan that no longer parses is skipped, not fatal to the pass
        }
        if (due == null) continue;
        runs.add(pool.withTransaction(conn -> conn.preparedQuery(CLAIM)
            .execute(Tuple.of(plan.getString("account_id"), plan.getString("name"), RestoreTestingOperations.db(due)))
            .compose(claimed -> claimed.size() == 0 ? Future.succeededFuture(new int[] {0, 0})
                : startTests(conn, plan, at, started).map(missing -> new int[] {1, missing}))));
      }
      return Future.all(runs).compose(all -> pool.preparedQuery(CLOSE_VALIDATION).execute(Tuple.of(RestoreTestingOperations.db(at))))
          .map(closed -> {
            int plansRun = 0;
            int missing = 0;
            for (Future<int[]> r : runs) {
              plansRun += r.result()[0];
              missing += r.result()[1];
            }
            return new Result(plansRun, List.copyOf(started), missing, closed.rowCount());
          });
    });
  }

  /** Starts the plan's restore tests; answers how many selected resources had no point to test. */
  private Future<Integer> startTests(SqlConnection conn, Row plan, Instant now, List<String> started) {
    String account = plan.getString("account_id");
    JsonObject pointSelection = (JsonObject) plan.getValue("point_selection");
    RestoreTestRules.PointSelection rule = RestoreTestingOperations.toSelection(pointSelection);
    Instant from = now.minus(java.time.Duration.ofDays(rule.selectionWindowDays()));
    var selections = conn.preparedQuery(SELECTIONS).execute(Tuple.of(account, plan.getString("name")));
    return selections.compose(sel -> conn.preparedQuery(RESOURCES).execute(Tuple.of(account))
        .compose(resources -> conn.preparedQuery(POINTS).execute(Tuple.of(account, RestoreTestingOperations.db(from)))
            .compose(points -> {
              List<Candidate> candidates = new ArrayList<>();
              for (Row p : points) {
                candidates.add(new Candidate(p.getString("recovery_point_arn"), p.getString("resource_arn"),
                    p.getString("vault_name"), p.getString("vault_arn"), p.getOffsetDateTime("created_at").toInstant(),
                    p.getString("status")));
              }
              Future<Integer> chain = Future.succeededFuture(0);
              for (Row s : sel) {
                JsonObject doc = (JsonObject) s.getValue("document");
                for (Row r : resources) {
                  Map<String, String> tags = new LinkedHashMap<>();
                  ((JsonObject) r.getValue("tags")).forEach(e -> tags.put(e.getKey(), String.valueOf(e.getValue())));
                  if (!RestoreTestRules.selects(r.getString("resource_arn"), r.getString("resource_type"), tags,
                      doc.getString("ProtectedResourceType"), RestoreTestingOperations.strings(doc.getJsonArray("ProtectedResourceArns")),
                      conditions(doc, "StringEquals"), conditions(doc, "StringNotEquals"))) {
                    continue;
                  }
                  var picked = RestoreTestRules.pick(candidates, r.getString("resource_arn"), rule, now, random);
                  if (picked.isEmpty()) {
                    chain = chain.map(n -> n + 1);
                    continue;
                  }
                  chain = chain.compose(n -> startOne(conn, account, plan.getString("arn"), s.getString("name"), doc,
                      picked.get().arn(), now, started).map(n));
                }
              }
              return chain;
            })));
  }

  private Future<Void> startOne(SqlConnection conn, String account, String planArn, String selection, JsonObject doc,
      String pointArn, Instant now, List<String> started) {
    return conn.preparedQuery(POINT).execute(Tuple.of(pointArn)).compose(rows -> {
      Row p = rows.iterator().next();
      JsonObject metadata = p.getValue("restore_metadata") == null ? new JsonObject()
          : ((JsonObject) p.getValue("restore_metadata")).copy();
      JsonObject overrides = doc.getJsonObject("RestoreMetadataOverrides");
      if (overrides != null) metadata.mergeIn(overrides);
      String id = UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
      return conn.preparedQuery(INSERT_JOB).execute(Tuple.tuple().addValue(id).addValue(account).addValue(pointArn)
          .addValue(p.getString("vault_arn")).addValue(p.getString("resource_arn")).addValue(p.getString("resource_type"))
          .addValue(doc.getString("IamRoleArn")).addValue(p.getLong("size_bytes")).addValue(metadata)
          .addValue(p.getOffsetDateTime("created_at")).addValue(RestoreTestingOperations.db(now)).addValue(planArn)
          .addValue(selection).addValue(doc.getInteger("ValidationWindowHours", 24)))
          .map(x -> {
            started.add(id);
            return null;
          });
    });
  }

  private static Map<String, String> conditions(JsonObject doc, String kind) {
    Map<String, String> out = new LinkedHashMap<>();
    JsonObject c = doc.getJsonObject("ProtectedResourceConditions");
    if (c == null) return out;
    for (Object o : c.getJsonArray(kind, new io.vertx.core.json.JsonArray())) {
      JsonObject kv = (JsonObject) o;
      out.put(kv.getString("Key"), kv.getString("Value"));
    }
    return out;
  }
}
