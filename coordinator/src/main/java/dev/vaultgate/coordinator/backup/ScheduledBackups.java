package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.BackupArns;
import dev.vaultgate.coordinator.rules.RecoveryPointRules;
import dev.vaultgate.coordinator.rules.ResourceSelection;
import dev.vaultgate.coordinator.rules.ResourceSelection.Operator;
import dev.vaultgate.coordinator.rules.ResourceSelection.TagCondition;
import dev.vaultgate.coordinator.rules.RuleViolation;
import dev.vaultgate.coordinator.rules.ScheduleExpression;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * What time makes happen to plans and points, on any replica: backup jobs for each scheduled
 * rule's due tick, over the resources its plan's selections choose from the inventory, and the
 * lifecycle of recovery points (to cold storage, then deleted unless a legal hold keeps them).
 * A tick is claimed by inserting its (plan, rule, time) row: two replicas never create one
 * tick's jobs twice.
 */
public final class ScheduledBackups {

  static final String LIVE_RULES =
      "SELECT p.plan_id, p.account_id, p.arn, p.version_id, v.document, v.created_at"
          + " FROM backup_plans p JOIN backup_plan_versions v ON v.plan_id = p.plan_id AND v.version_id = p.version_id"
          + " WHERE p.deleted_at IS NULL";
  static final String LAST_RUNS =
      "SELECT rule_id, max(scheduled_at) FROM backup_schedule_runs WHERE plan_id = $1 GROUP BY rule_id";
  static final String CLAIM =
      "INSERT INTO backup_schedule_runs (plan_id, rule_id, scheduled_at, claimed_at, jobs_created)"
          + " VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING";
  static final String COUNT_JOBS =
      "UPDATE backup_schedule_runs SET jobs_created = $4 WHERE plan_id = $1 AND rule_id = $2 AND scheduled_at = $3";
  static final String SELECTIONS = "SELECT iam_role_arn, document FROM backup_selections WHERE plan_id = $1"
      + " ORDER BY created_at, selection_id";
  /**
   * The account's inventory with each resource's AWS tags: the tags its gateway reported, then the
   * tags the backup-gateway API's TagResource gave the VM, then its VMware tags mapped by its
   * hypervisor's PutHypervisorPropertyMappings (a later source wins a key).
   */
  static final String INVENTORY =
      "SELECT i.resource_arn, i.tags"
          + " || COALESCE((SELECT jsonb_object_agg(rt.key, rt.value) FROM resource_tags rt"
          + " WHERE rt.account_id = i.account_id AND rt.resource_arn = i.resource_arn), '{}'::jsonb)"
          + " || COALESCE((SELECT jsonb_object_agg(m->>'AwsTagKey', m->>'AwsTagValue')"
          + " FROM hypervisors h, jsonb_array_elements(h.tag_mappings) m, jsonb_array_elements(i.vmware_tags) t"
          + " WHERE h.account_id = i.account_id AND h.arn = i.hypervisor_arn"
          + " AND m->>'VmwareCategory' = t->>'category' AND m->>'VmwareTagName' = t->>'name'), '{}'::jsonb)"
          + " FROM inventory i WHERE i.account_id = $1";
  static final String VAULT_EXISTS = "SELECT 1 FROM backup_vaults WHERE account_id = $1 AND name = $2";
  static final String EXECUTED = "UPDATE backup_plans SET last_execution_at = $2 WHERE plan_id = $1";
  static final String TO_COLD =
      "UPDATE recovery_points SET storage_class = 'COLD' WHERE storage_class = 'WARM' AND cold_at <= $1"
          + " AND status = 'COMPLETED'";
  static final String DUE_FOR_DELETION =
      "SELECT account_id, vault_name, recovery_point_arn FROM recovery_points WHERE delete_at <= $1"
          + " ORDER BY delete_at LIMIT $2";

  /** How many points one lifecycle pass looks at; the next pass continues. */
  static final int DELETION_BATCH = 1000;

  /** What one pass did. */
  public record Result(int ticks, int jobs, int movedToCold, int deleted, int keptByHoldOrLock) {}

  private final Pool pool;

  public ScheduledBackups(Pool pool) {
    this.pool = pool;
  }

  /** Creates the jobs of every scheduled rule whose latest tick at or before {@code now} nobody claimed yet. */
  public Future<Result> runDue(Instant now) {
    Instant at = Times.micros(now);
    return pool.preparedQuery(LIVE_RULES).execute().compose(plans -> {
      List<Future<int[]>> runs = new ArrayList<>();
      for (Row plan : plans) runs.add(runPlan(plan, at));
      return Future.all(runs).map(all -> {
        int ticks = 0;
        int jobs = 0;
        for (Future<int[]> f : runs) {
          ticks += f.result()[0];
          jobs += f.result()[1];
        }
        return new Result(ticks, jobs, 0, 0, 0);
      });
    });
  }

  /** One plan: {ticks claimed, jobs created}. */
  private Future<int[]> runPlan(Row plan, Instant now) {
    String planId = plan.getString("plan_id");
    JsonObject doc = (JsonObject) plan.getValue("document");
    Instant anchor = Times.instant(plan.getOffsetDateTime("created_at"));
    List<JsonObject> dueRules = new ArrayList<>();
    List<Instant> dueTicks = new ArrayList<>();
    // a first pass without the claims: most plans have nothing due, and then no query is needed
    Map<String, Instant> candidates = new HashMap<>();
    for (Object r : doc.getJsonArray("Rules", new JsonArray())) {
      JsonObject rule = (JsonObject) r;
      if (rule.getString("ScheduleExpression") == null) continue;
      Instant tick = latestDue(rule, anchor, anchor, now);
      if (tick != null) candidates.put(rule.getString("RuleId"), tick);
    }
    if (candidates.isEmpty()) return Future.succeededFuture(new int[] {0, 0});
    return pool.preparedQuery(LAST_RUNS).execute(Tuple.of(planId)).compose(rows -> {
      Map<String, Instant> last = new HashMap<>();
      for (Row row : rows) last.put(row.getString(0), Times.instant(row.getOffsetDateTime(1)));
      for (Object r : doc.getJsonArray("Rules", new JsonArray())) {
        JsonObject rule = (JsonObject) r;
        String ruleId = rule.getString("RuleId");
        if (!candidates.containsKey(ruleId)) continue;
        Instant from = last.get(ruleId);
        Instant tick = latestDue(rule, anchor, from == null ? anchor : from, now);
        if (tick != null) {
          dueRules.add(rule);
          dueTicks.add(tick);
        }
      }
      if (dueRules.isEmpty()) return Future.succeededFuture(new int[] {0, 0});
      return pool.withTransaction(conn -> claimAndCreate(conn, plan, dueRules, dueTicks, now));
    });
  }

  /**
   * The latest scheduled time after {@code after}, at or before {@code now}, whose start window
   * is still open; null when none. Ticks missed for longer than the start window are skipped.
   */
  static Instant latestDue(JsonObject rule, Instant anchor, Instant after, Instant now) {
    ScheduleExpression schedule = ScheduleExpression.parse(rule.getString("ScheduleExpression"));
    ZoneId zone = ScheduleExpression.zone(rule.getString("ScheduleExpressionTimezone"));
    Duration window = Duration.ofMinutes(rule.getLong("StartWindowMinutes", 480L));
    Instant from = after.isBefore(now.minus(window)) ? now.minus(window) : after;
    Instant due = null;
    for (Instant t = schedule.next(from, zone, anchor); t != null && !t.isAfter(now); t = schedule.next(t, zone, anchor)) {
      due = t;
    }
    return due;
  }

  private Future<int[]> claimAndCreate(SqlConnection conn, Row plan, List<JsonObject> rules, List<Instant> ticks,
      Instant now) {
    String planId = plan.getString("plan_id");
    String account = plan.getString("account_id");
    return conn.preparedQuery(SELECTIONS).execute(Tuple.of(planId)).compose(selections ->
        conn.preparedQuery(INVENTORY).execute(Tuple.of(account)).compose(inventory -> {
          Map<String, Map<String, String>> resources = new LinkedHashMap<>();
          for (Row row : inventory) resources.put(row.getString(0), tags((JsonObject) row.getValue(1)));
          Map<String, String> chosen = new LinkedHashMap<>(); // resource ARN -> IAM role of the first selection
          for (Row s : selections) {
            ResourceSelection selection = selection((JsonObject) s.getValue("document"));
            Map<String, Map<String, String>> candidates = new LinkedHashMap<>(resources);
            for (String arn : selection.explicitResources()) candidates.putIfAbsent(arn, Map.of());
            candidates.forEach((arn, tags) -> {
              if (selection.matches(arn, tags)) chosen.putIfAbsent(arn, s.getString("iam_role_arn"));
            });
          }
          Future<int[]> chain = Future.succeededFuture(new int[] {0, 0});
          for (int i = 0; i < rules.size(); i++) {
            JsonObject rule = rules.get(i);
            Instant tick = ticks.get(i);
            chain = chain.compose(counts -> claim(conn, planId, rule, tick, now).compose(won -> {
              if (!won) return Future.succeededFuture(counts);
              return createJobs(conn, plan, rule, tick, now, chosen).map(n -> new int[] {counts[0] + 1, counts[1] + n});
            }));
          }
          return chain.compose(counts -> counts[0] == 0 ? Future.succeededFuture(counts)
              : conn.preparedQuery(EXECUTED).execute(Tuple.of(planId, Times.db(now))).map(counts));
        }));
  }

  private static Future<Boolean> claim(SqlConnection conn, String planId, JsonObject rule, Instant tick, Instant now) {
    return conn.preparedQuery(CLAIM).execute(Tuple.of(planId, rule.getString("RuleId"), Times.db(tick), Times.db(now)))
        .map(r -> r.rowCount() == 1);
  }

  private static Future<Integer> createJobs(SqlConnection conn, Row plan, JsonObject rule, Instant tick, Instant now,
      Map<String, String> chosen) {
    String account = plan.getString("account_id");
    String planArn = plan.getString("arn");
    String region = planArn.split(":")[3];
    String vault = rule.getString("TargetBackupVaultName");
    JsonObject createdBy = new JsonObject()
        .put("BackupPlanId", plan.getString("plan_id"))
        .put("BackupPlanArn", planArn)
        .put("BackupPlanVersion", plan.getString("version_id"))
        .put("BackupRuleId", rule.getString("RuleId"));
    return conn.preparedQuery(VAULT_EXISTS).execute(Tuple.of(account, vault)).compose(vaults -> {
      // a vault deleted after the plan named it: the tick's jobs are recorded FAILED, with the reason
      String failure = vaults.size() > 0 ? null : "Backup vault " + vault + " of rule " + rule.getString("RuleName")
          + " does not exist: no backup was made";
      return insertJobs(conn, plan, rule, tick, now, chosen, createdBy, region, failure);
    });
  }

  private static Future<Integer> insertJobs(SqlConnection conn, Row plan, JsonObject rule, Instant tick, Instant now,
      Map<String, String> chosen, JsonObject createdBy, String region, String failure) {
    String account = plan.getString("account_id");
    String vault = rule.getString("TargetBackupVaultName");
    long startWindow = rule.getLong("StartWindowMinutes", 480L);
    long completeWindow = rule.getLong("CompletionWindowMinutes", 10080L);
    List<Tuple> batch = new ArrayList<>();
    for (Map.Entry<String, String> e : chosen.entrySet()) {
      String type;
      try {
        type = JobOperations.resourceType(e.getKey());
      } catch (RuntimeException notBackedUp) {
        continue; // a selection may name ARNs of services Vaultgate does not back up
      }
      String jobId = UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
      batch.add(Tuple.tuple().addValue(jobId).addValue(account).addValue(vault)
          .addValue(BackupArns.vault(region, account, vault))
          .addValue(BackupArns.recoveryPoint(region, account, UUID.randomUUID().toString()))
          .addValue(e.getKey()).addValue(type).addValue(e.getValue()).addValue(failure == null ? "CREATED" : "FAILED")
          .addValue(failure).addValue("0.0").addValue(null).addValue(null).addValue(Times.db(now))
          .addValue(Times.db(tick.plus(Duration.ofMinutes(startWindow)))).addValue(completeWindow).addValue(null)
          .addValue(failure == null ? null : Times.db(now)).addValue(rule.getJsonObject("Lifecycle"))
          .addValue(rule.getJsonObject("RecoveryPointTags"))
          .addValue(null).addValue(createdBy).addValue(null));
    }
    Future<Integer> created = batch.isEmpty() ? Future.succeededFuture(0)
        : conn.preparedQuery(PgBackupJobStore.INSERT).executeBatch(batch).map(r -> batch.size());
    return created.compose(n -> conn.preparedQuery(COUNT_JOBS)
        .execute(Tuple.of(plan.getString("plan_id"), rule.getString("RuleId"), Times.db(tick), n)).map(n));
  }

  /**
   * Applies lifecycles: points past their cold date move to COLD; points past their delete
   * date are deleted unless an active legal hold matches them (or a vault lock still forbids
   * it), in which case they stay and are looked at again on the next pass.
   */
  public Future<Result> applyLifecycle(Instant now, RecoveryPointStore points) {
    Tuple at = Tuple.of(Times.db(Times.micros(now)));
    return pool.preparedQuery(TO_COLD).execute(at).compose(cold ->
        pool.preparedQuery(DUE_FOR_DELETION).execute(Tuple.of(Times.db(now), DELETION_BATCH)).compose(due -> {
          List<Future<Boolean>> deletions = new ArrayList<>();
          for (Row row : due) {
            deletions.add(points.delete(row.getString(0), row.getString(1), row.getString(2), ctx ->
                    RecoveryPointRules.checkDeletable(ctx.point().vaultName(), ctx.point().resourceArn(),
                        ctx.point().createdAt(), ctx.point().deleteAt(), ctx.lock(), ctx.activeHolds(), now))
                .recover(e -> e instanceof RuleViolation ? Future.succeededFuture(false) : Future.failedFuture(e)));
          }
          return Future.all(deletions).map(all -> {
            int deleted = 0;
            for (Future<Boolean> d : deletions) deleted += d.result() ? 1 : 0;
            return new Result(0, 0, cold.rowCount(), deleted, deletions.size() - deleted);
          });
        }));
  }

  /** A selection document (the BackupSelection shape) as a predicate. */
  public static ResourceSelection selection(JsonObject doc) {
    List<TagCondition> listOfTags = new ArrayList<>();
    for (Object o : doc.getJsonArray("ListOfTags", new JsonArray())) {
      JsonObject c = (JsonObject) o;
      listOfTags.add(new TagCondition(Operator.STRING_EQUALS, c.getString("ConditionKey"), c.getString("ConditionValue")));
    }
    List<TagCondition> conditions = new ArrayList<>();
    JsonObject conds = doc.getJsonObject("Conditions", new JsonObject());
    Map<String, Operator> ops = Map.of("StringEquals", Operator.STRING_EQUALS, "StringNotEquals",
        Operator.STRING_NOT_EQUALS, "StringLike", Operator.STRING_LIKE, "StringNotLike", Operator.STRING_NOT_LIKE);
    ops.forEach((name, op) -> {
      for (Object o : conds.getJsonArray(name, new JsonArray())) {
        JsonObject c = (JsonObject) o;
        conditions.add(new TagCondition(op, c.getString("ConditionKey"), c.getString("ConditionValue")));
      }
    });
    return new ResourceSelection(strings(doc.getJsonArray("Resources")), strings(doc.getJsonArray("NotResources")),
        listOfTags, conditions);
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>();
    if (a != null) a.forEach(v -> out.add((String) v));
    return out;
  }

  private static Map<String, String> tags(JsonObject o) {
    Map<String, String> out = new HashMap<>();
    o.forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue())));
    return out;
  }
}
