package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.BackupArns;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The copy jobs a plan rule's CopyActions make when one of its backup jobs completes: created in
 * the transaction that completes the backup job, under the job's row lock, so a completion
 * reported twice (or by two replicas) makes them once; a unique index on (source point,
 * destination) holds that too. The rule is read from the plan version the job was created by.
 * A copy that cannot run is created FAILED with the reason ({@link CopyDestinations}): a vault
 * that does not exist, the source vault itself, another account's vault whose access policy does
 * not allow the source account, or a vault lock that refuses the copy's retention.
 */
final class RuleCopies {

  static final String RULE_DOCUMENT =
      "SELECT document FROM backup_plan_versions WHERE plan_id = $1 AND version_id = $2";
  static final String INSERT = "INSERT INTO copy_jobs (" + PgCopyJobStore.COLUMNS + ") VALUES ($1, $2, $3, $4, $5,"
      + " $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT DO NOTHING";

  private RuleCopies() {}

  /** Creates the copies of {@code job}'s new point, {@code sizeBytes} large; the number created. */
  static Future<Integer> create(SqlConnection conn, BackupJob job, long sizeBytes, Instant now) {
    JsonObject by = job.createdBy();
    if (by == null || by.getString("BackupPlanId") == null || by.getString("BackupPlanVersion") == null) {
      return Future.succeededFuture(0);
    }
    return conn.preparedQuery(RULE_DOCUMENT)
        .execute(Tuple.of(by.getString("BackupPlanId"), by.getString("BackupPlanVersion")))
        .compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(0);
          JsonObject rule = rule((JsonObject) rows.iterator().next().getValue(0), by.getString("BackupRuleId"));
          if (rule == null) return Future.succeededFuture(0);
          Map<String, JsonObject> actions = new LinkedHashMap<>(); // one copy per destination
          for (Object o : rule.getJsonArray("CopyActions", new JsonArray())) {
            JsonObject action = (JsonObject) o;
            actions.putIfAbsent(action.getString("DestinationBackupVaultArn"), action);
          }
          Future<Integer> chain = Future.succeededFuture(0);
          for (JsonObject action : actions.values()) {
            chain = chain.compose(n -> createOne(conn, job, action, sizeBytes, now).map(created -> n + created));
          }
          return chain;
        });
  }

  private static JsonObject rule(JsonObject plan, String ruleId) {
    for (Object r : plan.getJsonArray("Rules", new JsonArray())) {
      JsonObject rule = (JsonObject) r;
      if (rule.getString("RuleId").equals(ruleId)) return rule;
    }
    return null;
  }

  private static Future<Integer> createOne(SqlConnection conn, BackupJob job, JsonObject action, long sizeBytes,
      Instant now) {
    String destination = action.getString("DestinationBackupVaultArn");
    JsonObject lifecycle = action.getJsonObject("Lifecycle");
    Long deleteAfter = lifecycle == null ? null : lifecycle.getLong("DeleteAfterDays");
    String[] d = destination.split(":", 7);
    Future<String> refusal = conn.preparedQuery(PgRecoveryPointStore.VAULT_LOCK).execute(Tuple.of(d[4], d[6]))
        .map(vaults -> {
          if (vaults.size() == 0) {
            return CopyDestinations.refusal(job.accountId(), job.vaultArn(), destination, null, null, null, deleteAfter);
          }
          Row v = vaults.iterator().next();
          return CopyDestinations.refusal(job.accountId(), job.vaultArn(), destination, v.getString("arn"),
              PgVaultStore.lock(v), v.getString("access_policy"), deleteAfter);
        });
    return refusal.compose(message -> {
      Tuple args = Tuple.tuple().addValue(UUID.randomUUID().toString().toUpperCase(Locale.ROOT))
          .addValue(job.accountId()).addValue(job.vaultArn()).addValue(job.recoveryPointArn()).addValue(destination)
          .addValue(BackupArns.recoveryPoint(d[3], d[4], UUID.randomUUID().toString()))
          .addValue(job.resourceArn()).addValue(job.resourceType()).addValue(job.iamRoleArn())
          .addValue(message == null ? "CREATED" : "FAILED").addValue(message).addValue(sizeBytes)
          .addValue(lifecycle).addValue(job.createdBy()).addValue(Times.db(now))
          .addValue(message == null ? null : Times.db(now)).addValue(null);
      return conn.preparedQuery(INSERT).execute(args).map(r -> r.rowCount());
    });
  }
}
