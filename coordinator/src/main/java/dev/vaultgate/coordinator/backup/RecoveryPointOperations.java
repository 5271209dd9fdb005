package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.RecoveryPointRules;
import dev.vaultgate.coordinator.rules.RuleViolation;
import dev.vaultgate.coordinator.rules.VaultAccessPolicy;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recovery points: list by vault or by resource, describe, change the lifecycle, delete (unless
 * a legal hold, the vault lock or a Deny in the vault's access policy forbids it), and the
 * restore metadata the gateway recorded.
 */
final class RecoveryPointOperations {

  static final String DELETE_ACTION = "backup:DeleteRecoveryPoint";

  private final RecoveryPointStore points;
  private final VaultStore vaults;

  RecoveryPointOperations(RecoveryPointStore points, VaultStore vaults) {
    this.points = points;
    this.vaults = vaults;
  }

  Future<JsonObject> listByVault(CallContext call, JsonObject in) {
    String vaultName = in.getString("BackupVaultName");
    if (foreignAccount(call, in)) return Future.failedFuture(VaultOperations.notFound(vaultName));
    RecoveryPoint.Filter filter = new RecoveryPoint.Filter(in.getString("ByResourceArn"), in.getString("ByResourceType"),
        in.getString("ByBackupPlanId"), in.getInstant("ByCreatedBefore"), in.getInstant("ByCreatedAfter"));
    return vaults.find(call.accountId(), vaultName).compose(vault -> {
      if (vault == null) throw VaultOperations.notFound(vaultName);
      return points.listByVault(call.accountId(), vaultName, filter, in.getString("NextToken"), Page.limit(in.getLong("MaxResults")));
    }).map(page -> {
      JsonArray list = new JsonArray();
      page.items().forEach(p -> list.add(describe(p)));
      return new JsonObject().put("RecoveryPoints", list).put("NextToken", page.nextToken());
    });
  }

  Future<JsonObject> listByResource(CallContext call, JsonObject in) {
    return points.listByResource(call.accountId(), in.getString("ResourceArn"), in.getString("NextToken"),
        Page.limit(in.getLong("MaxResults"))).map(page -> {
          JsonArray list = new JsonArray();
          for (RecoveryPoint p : page.items()) {
            list.add(new JsonObject()
                .put("RecoveryPointArn", p.arn())
                .put("CreationDate", Times.epoch(p.createdAt()))
                .put("Status", p.status())
                .put("StatusMessage", p.statusMessage())
                .put("BackupSizeBytes", p.sizeBytes())
                .put("BackupVaultName", p.vaultName())
                .put("IsParent", false)
                .put("VaultType", "BACKUP_VAULT")
                .put("EncryptionKeyType", "AWS_OWNED_KMS_KEY"));
          }
          return new JsonObject().put("RecoveryPoints", list).put("NextToken", page.nextToken());
        });
  }

  Future<JsonObject> describe(CallContext call, JsonObject in) {
    String vaultName = in.getString("BackupVaultName");
    String arn = in.getString("RecoveryPointArn");
    if (foreignAccount(call, in)) return Future.failedFuture(notFound(arn));
    return points.find(call.accountId(), vaultName, arn).map(p -> {
      if (p == null) throw notFound(arn);
      return describe(p).put("StorageClass", p.storageClass());
    });
  }

  Future<JsonObject> updateLifecycle(CallContext call, JsonObject in) {
    String vaultName = in.getString("BackupVaultName");
    String arn = in.getString("RecoveryPointArn");
    JsonObject lifecycle = in.getJsonObject("Lifecycle", new JsonObject());
    return points.updateLifecycle(call.accountId(), vaultName, arn, lifecycle, (p, lock) ->
            RecoveryPointRules.checkLifecycleChange(p.storageClass(), p.moveToColdStorageAfterDays(),
                lifecycle.getLong("MoveToColdStorageAfterDays"), lifecycle.getLong("DeleteAfterDays"), lock))
        .recover(Violations::recover)
        .map(p -> {
          if (p == null) throw notFound(arn);
          return new JsonObject()
              .put("BackupVaultArn", p.vaultArn())
              .put("RecoveryPointArn", p.arn())
              .put("Lifecycle", p.lifecycle())
              .put("CalculatedLifecycle", calculated(p));
        });
  }

  Future<JsonObject> delete(CallContext call, JsonObject in) {
    String vaultName = in.getString("BackupVaultName");
    String arn = in.getString("RecoveryPointArn");
    return points.delete(call.accountId(), vaultName, arn, ctx -> {
          if (ctx.accessPolicy() != null && policy(ctx.accessPolicy()).denies(DELETE_ACTION, call.accountId(), arn)) {
            throw ApiException.withStatus("AccessDeniedException", 403, "User: arn:aws:iam::" + call.accountId()
                + ":root is not authorized to perform: " + DELETE_ACTION + " on resource: " + arn
                + " with an explicit deny in a resource-based policy");
          }
          RecoveryPoint p = ctx.point();
          RecoveryPointRules.checkDeletable(p.vaultName(), p.resourceArn(), p.createdAt(), p.deleteAt(), ctx.lock(),
              ctx.activeHolds(), call.receivedAt());
        })
        .recover(Violations::recover)
        .map(deleted -> {
          if (!deleted) throw notFound(arn);
          return new JsonObject();
        });
  }

  Future<JsonObject> restoreMetadata(CallContext call, JsonObject in) {
    String arn = in.getString("RecoveryPointArn");
    if (foreignAccount(call, in)) return Future.failedFuture(notFound(arn));
    return points.find(call.accountId(), in.getString("BackupVaultName"), arn).map(p -> {
      if (p == null) throw notFound(arn);
      return new JsonObject()
          .put("BackupVaultArn", p.vaultArn())
          .put("RecoveryPointArn", p.arn())
          .put("RestoreMetadata", p.restoreMetadata() == null ? new JsonObject() : p.restoreMetadata())
          .put("ResourceType", p.resourceType());
    });
  }

  Future<JsonObject> listProtectedResources(CallContext call, JsonObject in) {
    return points.protectedResources(call.accountId(), in.getString("NextToken"), Page.limit(in.getLong("MaxResults")))
        .map(page -> {
          JsonArray list = new JsonArray();
          page.items().forEach(r -> list.add(protectedResource(r)));
          return new JsonObject().put("Results", list).put("NextToken", page.nextToken());
        });
  }

  Future<JsonObject> describeProtectedResource(CallContext call, JsonObject in) {
    String arn = in.getString("ResourceArn");
    return points.protectedResource(call.accountId(), arn).map(r -> {
      if (r == null) throw ApiException.notFound("Resource " + arn + " has no recovery point");
      return protectedResource(r);
    });
  }

  private static JsonObject protectedResource(RecoveryPointStore.ProtectedResource r) {
    return new JsonObject()
        .put("ResourceArn", r.resourceArn())
        .put("ResourceType", r.resourceType())
        .put("LastBackupTime", Times.epoch(r.lastBackupTime()))
        .put("LastBackupVaultArn", r.lastVaultArn())
        .put("LastRecoveryPointArn", r.lastRecoveryPointArn());
  }

  /** Reads a stored policy; one that no longer parses denies nothing it cannot name. */
  static VaultAccessPolicy policy(String text) {
    try {
      return VaultAccessPolicy.of(plainMap(new JsonObject(text)));
    } catch (DecodeException | RuleViolation e) {
      throw ApiException.of("ServiceUnavailableException", "The vault's access policy cannot be read: " + e.getMessage());
    }
  }

  static Map<String, Object> plainMap(JsonObject json) {
    Map<String, Object> out = new LinkedHashMap<>();
    json.forEach(e -> out.put(e.getKey(), plain(e.getValue())));
    return out;
  }

  private static Object plain(Object v) {
    if (v instanceof JsonObject o) return plainMap(o);
    if (v instanceof JsonArray a) {
      List<Object> out = new ArrayList<>();
      a.forEach(x -> out.add(plain(x)));
      return out;
    }
    if (v instanceof Map<?, ?> m) return plainMap(new JsonObject(toStringKeys(m)));
    if (v instanceof List<?> l) return plain(new JsonArray(new ArrayList<>(l)));
    return v;
  }

  private static Map<String, Object> toStringKeys(Map<?, ?> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(String.valueOf(k), v));
    return out;
  }

  /** The BackupVaultAccountId query member: another account's vault is not found (no cross-account access yet). */
  private static boolean foreignAccount(CallContext call, JsonObject in) {
    String account = in.getString("BackupVaultAccountId");
    return account != null && !account.equals(call.accountId());
  }

  static ApiException notFound(String arn) {
    return ApiException.notFound("Recovery point " + arn + " does not exist");
  }

  static JsonObject calculated(RecoveryPoint p) {
    return new JsonObject()
        .put("MoveToColdStorageAt", Times.epoch(p.coldAt()))
        .put("DeleteAt", Times.epoch(p.deleteAt()));
  }

  private static JsonObject describe(RecoveryPoint p) {
    return new JsonObject()
        .put("RecoveryPointArn", p.arn())
        .put("BackupVaultName", p.vaultName())
        .put("BackupVaultArn", p.vaultArn())
        .put("ResourceArn", p.resourceArn())
        .put("ResourceType", p.resourceType())
        .put("CreatedBy", p.createdBy())
        .put("IamRoleArn", p.iamRoleArn())
        .put("Status", p.status())
        .put("StatusMessage", p.statusMessage())
        .put("CreationDate", Times.epoch(p.createdAt()))
        .put("InitiationDate", Times.epoch(p.createdAt()))
        .put("CompletionDate", Times.epoch(p.completedAt()))
        .put("BackupSizeInBytes", p.sizeBytes())
        .put("CalculatedLifecycle", calculated(p))
        .put("Lifecycle", p.lifecycle())
        .put("IsEncrypted", true)
        .put("IsParent", false)
        .put("VaultType", "BACKUP_VAULT")
        .put("EncryptionKeyType", "AWS_OWNED_KMS_KEY");
  }
}
