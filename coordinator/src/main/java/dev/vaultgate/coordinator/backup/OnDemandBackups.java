package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.BackupArns;
import dev.vaultgate.coordinator.rules.BackupRuleSpec;
import dev.vaultgate.coordinator.rules.ResourceSelection;
import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Backups a gateway asks for (vCenter-triggered): an on-demand job, as StartBackupJob makes one,
 * into the vault of the first rule of the first plan (oldest first) one of whose selections
 * covers the resource, with that rule's lifecycle, windows and recovery point tags.
 */
public final class OnDemandBackups {

  static final String RESOURCE = ScheduledBackups.INVENTORY + " AND i.resource_arn = $2 AND i.gateway_id = $3";
  static final String SELECTIONS =
      "SELECT s.iam_role_arn, s.document AS selection, v.document AS plan FROM backup_plans p"
          + " JOIN backup_plan_versions v ON v.plan_id = p.plan_id AND v.version_id = p.version_id"
          + " JOIN backup_selections s ON s.plan_id = p.plan_id"
          + " WHERE p.account_id = $1 AND p.deleted_at IS NULL ORDER BY p.created_at, p.plan_id, s.created_at, s.selection_id";

  private final Pool pool;
  private final BackupJobStore jobs;
  private final VaultStore vaults;

  public OnDemandBackups(Pool pool, BackupJobStore jobs, VaultStore vaults) {
    this.pool = pool;
    this.jobs = jobs;
    this.vaults = vaults;
  }

  /**
   * Starts a backup of a resource in the gateway's inventory. ResourceNotFoundException when the
   * gateway did not report it; {@code NoPlanCoversResource} (409) when no plan's selection covers
   * it; ResourceNotFoundException when the rule's vault no longer exists.
   */
  public Future<BackupJob> start(String accountId, String gatewayId, String resourceArn, Instant now) {
    return pool.preparedQuery(RESOURCE).execute(Tuple.of(accountId, resourceArn, gatewayId)).compose(resource -> {
      if (resource.size() == 0) {
        throw ApiException.notFound("Resource " + resourceArn + " is not in the inventory of gateway " + gatewayId);
      }
      Map<String, String> tags = new HashMap<>();
      ((JsonObject) resource.iterator().next().getValue(1)).forEach(e -> tags.put(e.getKey(), String.valueOf(e.getValue())));
      return pool.preparedQuery(SELECTIONS).execute(Tuple.of(accountId)).compose(rows -> {
        for (Row row : rows) {
          ResourceSelection selection = ScheduledBackups.selection((JsonObject) row.getValue("selection"));
          JsonArray rules = ((JsonObject) row.getValue("plan")).getJsonArray("Rules", new JsonArray());
          if (!rules.isEmpty() && selection.matches(resourceArn, tags)) {
            return create(accountId, resourceArn, rules.getJsonObject(0), row.getString("iam_role_arn"), now);
          }
        }
        throw ApiException.withStatus("NoPlanCoversResource", 409,
            "No backup plan's selection covers " + resourceArn + ": assign it to a plan first");
      });
    });
  }

  private Future<BackupJob> create(String accountId, String resourceArn, JsonObject rule, String roleArn, Instant now) {
    String vaultName = rule.getString("TargetBackupVaultName");
    JsonObject lifecycle = rule.getJsonObject("Lifecycle");
    return vaults.find(accountId, vaultName).compose(vault -> {
      if (vault == null) {
        throw ApiException.notFound("Backup vault " + vaultName + " of rule " + rule.getString("RuleName")
            + " does not exist");
      }
      if (vault.lock() != null) {
        Violations.check(() -> vault.lock().checkRetention(lifecycle == null ? null : lifecycle.getLong("DeleteAfterDays")));
      }
      Instant at = Times.micros(now);
      long start = rule.getLong("StartWindowMinutes", BackupRuleSpec.DEFAULT_START_WINDOW_MINUTES);
      long complete = rule.getLong("CompletionWindowMinutes", BackupRuleSpec.DEFAULT_COMPLETION_WINDOW_MINUTES);
      String region = vault.arn().split(":")[3];
      BackupJob job = new BackupJob(UUID.randomUUID().toString().toUpperCase(Locale.ROOT), accountId, vault.name(),
          vault.arn(), BackupArns.recoveryPoint(region, accountId, UUID.randomUUID().toString()), resourceArn,
          JobOperations.resourceType(resourceArn), roleArn, "CREATED", null, "0.0", null, null, at,
          at.plus(Duration.ofMinutes(start)), complete, null, null, lifecycle, rule.getJsonObject("RecoveryPointTags"),
          null, null, null);
      return jobs.create(job);
    });
  }
}
