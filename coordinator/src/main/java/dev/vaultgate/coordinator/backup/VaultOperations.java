package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.BackupArns;
import dev.vaultgate.coordinator.rules.VaultLock;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import dev.vaultgate.coordinator.wire.ModelValidator;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/** CreateBackupVault, DescribeBackupVault, ListBackupVaults, DeleteBackupVault and vault lock. */
final class VaultOperations {

  private final VaultStore vaults;
  private final ModelValidator validator;
  private final String region;

  VaultOperations(VaultStore vaults, ModelValidator validator, String region) {
    this.vaults = vaults;
    this.validator = validator;
    this.region = region;
  }

  Future<JsonObject> create(CallContext call, JsonObject in) {
    String name = in.getString("BackupVaultName");
    BackupVault vault = new BackupVault(call.accountId(), name, BackupArns.vault(region, call.accountId(), name),
        Times.micros(call.receivedAt()), in.getString("EncryptionKeyArn"), in.getString("CreatorRequestId"), null, 0);
    return vaults.create(vault, strings(in.getJsonObject("BackupVaultTags")))
        .compose(created -> {
          if (created) return Future.succeededFuture(vault);
          return vaults.find(call.accountId(), name).map(existing -> {
            if (existing != null && existing.creatorRequestId() != null
                && existing.creatorRequestId().equals(vault.creatorRequestId())) {
              return existing; // the same request, retried
            }
            throw ApiException.alreadyExists("Backup vault with the same name already exists");
          });
        })
        .map(v -> new JsonObject()
            .put("BackupVaultName", v.name())
            .put("BackupVaultArn", v.arn())
            .put("CreationDate", Times.epoch(v.createdAt())));
  }

  Future<JsonObject> describe(CallContext call, JsonObject in) {
    String name = vaultName(in);
    String account = in.getString("BackupVaultAccountId");
    if (account != null && !account.equals(call.accountId())) return Future.failedFuture(notFound(name));
    return vaults.find(call.accountId(), name).map(v -> {
      if (v == null) throw notFound(name);
      return describe(v);
    });
  }

  Future<JsonObject> list(CallContext call, JsonObject in) {
    String type = in.getString("ByVaultType");
    if ((type != null && !"BACKUP_VAULT".equals(type)) || Boolean.TRUE.equals(in.getBoolean("ByShared"))) {
      return Future.succeededFuture(new JsonObject().put("BackupVaultList", new JsonArray()));
    }
    return vaults.list(call.accountId(), in.getString("NextToken"), Page.limit(in.getLong("MaxResults")))
        .map(page -> {
          JsonArray list = new JsonArray();
          page.items().forEach(v -> list.add(describe(v)));
          return new JsonObject().put("BackupVaultList", list).put("NextToken", page.nextToken());
        });
  }

  Future<JsonObject> delete(CallContext call, JsonObject in) {
    String name = vaultName(in);
    return vaults.deleteIfEmpty(call.accountId(), name).map(deleted -> {
      if (!deleted) throw notFound(name);
      return new JsonObject();
    });
  }

  Future<JsonObject> putLock(CallContext call, JsonObject in) {
    String name = in.getString("BackupVaultName");
    return vaults.updateLock(call.accountId(), name, call.receivedAt(),
            current -> VaultLock.configure(current, in.getLong("MinRetentionDays"), in.getLong("MaxRetentionDays"),
                in.getLong("ChangeableForDays"), call.receivedAt()))
        .recover(Violations::recover)
        .map(found -> {
          if (!found) throw notFound(name);
          return new JsonObject();
        });
  }

  Future<JsonObject> deleteLock(CallContext call, JsonObject in) {
    String name = in.getString("BackupVaultName");
    return vaults.updateLock(call.accountId(), name, call.receivedAt(), current -> {
          if (current != null) current.checkDeletable(call.receivedAt());
          return null;
        })
        .recover(Violations::recover)
        .map(found -> {
          if (!found) throw notFound(name);
          return new JsonObject();
        });
  }

  Future<JsonObject> putAccessPolicy(CallContext call, JsonObject in) {
    String name = in.getString("BackupVaultName");
    String policy = in.getString("Policy");
    if (policy == null) throw ApiException.missingParameter("Missing required parameter Policy");
    try {
      Violations.check(() -> RecoveryPointOperations.policy(policy));
    } catch (ApiException e) {
      throw ApiException.invalidParameter("Policy is not a valid policy document: " + e.getMessage());
    }
    return vaults.setAccessPolicy(call.accountId(), name, policy).map(found -> {
      if (!found) throw notFound(name);
      return new JsonObject();
    });
  }

  Future<JsonObject> getAccessPolicy(CallContext call, JsonObject in) {
    String name = in.getString("BackupVaultName");
    return vaults.find(call.accountId(), name).compose(v -> {
      if (v == null) throw notFound(name);
      return vaults.settings(call.accountId(), name).map(s -> {
        if (s == null || s.accessPolicy() == null) {
          throw ApiException.notFound("Backup vault " + name + " has no access policy");
        }
        return new JsonObject().put("BackupVaultName", name).put("BackupVaultArn", v.arn()).put("Policy", s.accessPolicy());
      });
    });
  }

  Future<JsonObject> deleteAccessPolicy(CallContext call, JsonObject in) {
    String name = in.getString("BackupVaultName");
    return vaults.setAccessPolicy(call.accountId(), name, null).map(found -> {
      if (!found) throw notFound(name);
      return new JsonObject();
    });
  }

  Future<JsonObject> putNotifications(CallContext call, JsonObject in) {
    String name = in.getString("BackupVaultName");
    return vaults.setNotifications(call.accountId(), name, in.getString("SNSTopicArn"), in.getJsonArray("BackupVaultEvents"))
        .map(found -> {
          if (!found) throw notFound(name);
          return new JsonObject();
        });
  }

  Future<JsonObject> getNotifications(CallContext call, JsonObject in) {
    String name = in.getString("BackupVaultName");
    return vaults.find(call.accountId(), name).compose(v -> {
      if (v == null) throw notFound(name);
      return vaults.settings(call.accountId(), name).map(s -> {
        if (s == null || s.snsTopicArn() == null) {
          throw ApiException.notFound("Backup vault " + name + " has no notification configuration");
        }
        return new JsonObject().put("BackupVaultName", name).put("BackupVaultArn", v.arn())
            .put("SNSTopicArn", s.snsTopicArn()).put("BackupVaultEvents", s.notificationEvents());
      });
    });
  }

  Future<JsonObject> deleteNotifications(CallContext call, JsonObject in) {
    String name = in.getString("BackupVaultName");
    return vaults.setNotifications(call.accountId(), name, null, null).map(found -> {
      if (!found) throw notFound(name);
      return new JsonObject();
    });
  }

  /** Describe and Delete take the name as a plain string: hold it to the vault-name pattern. */
  private String vaultName(JsonObject in) {
    return (String) validator.value("BackupVaultName", in.getString("BackupVaultName"), "BackupVaultName");
  }

  static ApiException notFound(String name) {
    return ApiException.notFound("Backup vault " + name + " does not exist");
  }

  private static JsonObject describe(BackupVault v) {
    VaultLock lock = v.lock();
    return new JsonObject()
        .put("BackupVaultName", v.name())
        .put("BackupVaultArn", v.arn())
        .put("VaultType", "BACKUP_VAULT")
        .put("VaultState", "AVAILABLE")
        .put("EncryptionKeyArn", v.encryptionKeyArn())
        .put("EncryptionKeyType", v.encryptionKeyArn() == null ? "AWS_OWNED_KMS_KEY" : "CUSTOMER_MANAGED_KMS_KEY")
        .put("CreationDate", Times.epoch(v.createdAt()))
        .put("CreatorRequestId", v.creatorRequestId())
        .put("NumberOfRecoveryPoints", v.recoveryPoints())
        .put("Locked", lock != null)
        .put("MinRetentionDays", lock == null ? null : lock.minRetentionDays())
        .put("MaxRetentionDays", lock == null ? null : lock.maxRetentionDays())
        .put("LockDate", lock == null ? null : Times.epoch(lock.lockDate()));
  }

  static Map<String, String> strings(JsonObject tags) {
    Map<String, String> out = new LinkedHashMap<>();
    if (tags != null) tags.forEach(e -> out.put(e.getKey(), (String) e.getValue()));
    return out;
  }
}
