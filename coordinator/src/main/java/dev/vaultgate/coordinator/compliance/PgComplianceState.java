package dev.vaultgate.coordinator.compliance;

import dev.vaultgate.coordinator.backup.ScheduledBackups;
import dev.vaultgate.coordinator.compliance.ComplianceState.Plan;
import dev.vaultgate.coordinator.compliance.ComplianceState.Point;
import dev.vaultgate.coordinator.compliance.ComplianceState.Resource;
import dev.vaultgate.coordinator.compliance.ComplianceState.Restore;
import dev.vaultgate.coordinator.compliance.ComplianceState.Rule;
import dev.vaultgate.coordinator.compliance.ComplianceState.Vault;
import dev.vaultgate.coordinator.rules.ResourceSelection;
import dev.vaultgate.coordinator.rules.ScheduleExpression;
import dev.vaultgate.coordinator.rules.VaultAccessPolicy;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads an account's {@link ComplianceState} from the coordinator's tables. */
public final class PgComplianceState {

  /** The inventory (with TagResource tags) and every resource with a recovery point. */
  static final String RESOURCES = "SELECT i.resource_arn, i.resource_type, i.tags"
      + " || COALESCE((SELECT jsonb_object_agg(rt.key, rt.value) FROM resource_tags rt"
      + " WHERE rt.account_id = i.account_id AND rt.resource_arn = i.resource_arn), '{}'::jsonb) AS tags"
      + " FROM inventory i WHERE i.account_id = $1"
      + " UNION ALL SELECT DISTINCT p.resource_arn, p.resource_type, '{}'::jsonb FROM recovery_points p"
      + " WHERE p.account_id = $1 AND NOT EXISTS (SELECT 1 FROM inventory i WHERE i.account_id = $1"
      + " AND i.resource_arn = p.resource_arn)";
  static final String PLANS = "SELECT p.plan_id, p.arn, p.name, v.document, v.created_at FROM backup_plans p"
      + " JOIN backup_plan_versions v ON v.plan_id = p.plan_id AND v.version_id = p.version_id"
      + " WHERE p.account_id = $1 AND p.deleted_at IS NULL ORDER BY p.name";
  static final String SELECTIONS = "SELECT s.plan_id, s.document FROM backup_selections s JOIN backup_plans p"
      + " ON p.plan_id = s.plan_id WHERE p.account_id = $1 AND p.deleted_at IS NULL";
  static final String VAULTS = "SELECT name, arn, lock_min_days, lock_max_days, locked, access_policy FROM backup_vaults"
      + " WHERE account_id = $1 ORDER BY name";
  /** The account's points and the copies of its resources' points kept by other accounts. */
  static final String POINTS = "SELECT recovery_point_arn, account_id, resource_arn, vault_name, created_at, status,"
      + " lifecycle FROM recovery_points WHERE account_id = $1 OR resource_arn IN"
      + " (SELECT resource_arn FROM recovery_points WHERE account_id = $1)";
  static final String RESTORES = "SELECT job_id, source_resource_arn, created_at, completed_at FROM restore_jobs"
      + " WHERE account_id = $1 AND status = 'COMPLETED'";

  private PgComplianceState() {}

  /** Reads the rows, then builds the state (selections matched against every resource) on a worker. */
  public static Future<ComplianceState> load(io.vertx.core.Vertx vertx, Pool pool, String accountId, String region,
      Instant now) {
    Tuple account = Tuple.of(accountId);
    var resources = pool.preparedQuery(RESOURCES).execute(account);
    var plans = pool.preparedQuery(PLANS).execute(account);
    var selections = pool.preparedQuery(SELECTIONS).execute(account);
    var vaults = pool.preparedQuery(VAULTS).execute(account);
    var points = pool.preparedQuery(POINTS).execute(account);
    var restores = pool.preparedQuery(RESTORES).execute(account);
    return Future.all(List.of(resources, plans, selections, vaults, points, restores)).compose(all -> vertx.executeBlocking(() -> {
      List<Resource> rs = new ArrayList<>();
      for (Row r : resources.result()) {
        Map<String, String> tags = new LinkedHashMap<>();
        ((JsonObject) r.getValue("tags")).forEach(e -> tags.put(e.getKey(), String.valueOf(e.getValue())));
        rs.add(new Resource(r.getString("resource_arn"), r.getString("resource_type"), tags));
      }
      List<Plan> ps = new ArrayList<>();
      for (Row r : plans.result()) {
        ps.add(new Plan(r.getString("plan_id"), r.getString("arn"), r.getString("name"),
            rules((JsonObject) r.getValue("document"), r.getOffsetDateTime("created_at").toInstant(), now)));
      }
      Map<String, List<String>> coveredBy = new LinkedHashMap<>();
      for (Row s : selections.result()) {
        ResourceSelection selection = ScheduledBackups.selection((JsonObject) s.getValue("document"));
        for (Resource r : rs) {
          if (selection.matches(r.arn(), r.tags())) {
            coveredBy.computeIfAbsent(r.arn(), k -> new ArrayList<>()).add(s.getString("plan_id"));
          }
        }
      }
      List<Vault> vs = new ArrayList<>();
      for (Row r : vaults.result()) {
        Long min = r.getLong("lock_min_days");
        Long max = r.getLong("lock_max_days");
        vs.add(new Vault(r.getString("name"), r.getString("arn"), min != null || max != null || r.getBoolean("locked"),
            min, max, deletionDenied(r.getString("access_policy"), accountId, region)));
      }
      List<Point> pts = new ArrayList<>();
      for (Row r : points.result()) {
        String arn = r.getString("recovery_point_arn");
        String[] parts = arn.split(":");
        JsonObject lifecycle = (JsonObject) r.getValue("lifecycle");
        // the vault format encrypts every chunk and manifest (AES-256-GCM): a point is encrypted by construction
        pts.add(new Point(arn, r.getString("resource_arn"), r.getString("vault_name"),
            parts.length > 3 ? parts[3] : region, r.getString("account_id"), r.getOffsetDateTime("created_at").toInstant(),
            true, lifecycle == null ? null : lifecycle.getLong("DeleteAfterDays"), r.getString("status")));
      }
      List<Restore> rjs = new ArrayList<>();
      for (Row r : restores.result()) {
        rjs.add(new Restore(r.getString("job_id"), r.getString("source_resource_arn"),
            r.getOffsetDateTime("created_at").toInstant(),
            r.getOffsetDateTime("completed_at") == null ? null : r.getOffsetDateTime("completed_at").toInstant()));
      }
      return new ComplianceState(now, region, accountId, rs, ps, coveredBy, vs, pts, rjs);
    }, false));
  }

  /** Each rule with the longest gap between its next runs (a cron's spacing may vary). */
  static List<Rule> rules(JsonObject plan, Instant anchor, Instant now) {
    List<Rule> out = new ArrayList<>();
    for (Object o : plan.getJsonArray("Rules", new JsonArray())) {
      JsonObject rule = (JsonObject) o;
      Duration interval = null;
      String expression = rule.getString("ScheduleExpression");
      if (expression != null) {
        ScheduleExpression schedule = ScheduleExpression.parse(expression);
        ZoneId zone = ScheduleExpression.zone(rule.getString("ScheduleExpressionTimezone"));
        Instant t = schedule.next(now, zone, anchor);
        for (int i = 0; i < 8 && t != null; i++) {
          Instant next = schedule.next(t, zone, anchor);
          if (next == null) break;
          Duration gap = Duration.between(t, next);
          if (interval == null || gap.compareTo(interval) > 0) interval = gap;
          t = next;
        }
      }
      JsonObject lifecycle = rule.getJsonObject("Lifecycle");
      out.add(new Rule(rule.getString("RuleName"), interval, lifecycle == null ? null : lifecycle.getLong("DeleteAfterDays")));
    }
    return out;
  }

  private static boolean deletionDenied(String policy, String accountId, String region) {
    if (policy == null) return false;
    try {
      return VaultAccessPolicy.of(new JsonObject(policy).getMap())
          .denies("backup:DeleteRecoveryPoint", accountId, "arn:aws:backup:" + region + ":" + accountId + ":recovery-point:*");
    } catch (RuntimeException e) {
      return false;
    }
  }
}
