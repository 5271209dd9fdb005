package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.VaultLock;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import java.time.Instant;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Backup vaults and their lock configuration, per account. */
public interface VaultStore {

  /** Creates the vault with its tags; the result is false when the name is taken. */
  Future<Boolean> create(BackupVault vault, Map<String, String> tags);

  /** The vault, or a null result. */
  Future<BackupVault> find(String accountId, String name);

  Future<Page<BackupVault>> list(String accountId, String nextToken, int limit);

  /**
   * Deletes the vault when it holds no recovery point. The result is false when there is no
   * such vault; a vault that is not empty fails with InvalidRequestException.
   */
  Future<Boolean> deleteIfEmpty(String accountId, String name);

  /**
   * Changes the lock under a row lock: {@code change} sees the current lock (null when none)
   * and returns the new one (null removes it), or throws a rule violation. The result is false
   * when there is no such vault.
   */
  Future<Boolean> updateLock(String accountId, String name, Instant now, UnaryOperator<VaultLock> change);

  /** A vault's access policy and notification settings; null members when unset. */
  record Settings(String accessPolicy, String snsTopicArn, JsonArray notificationEvents) {}

  /** The vault's settings, or a null result when there is no such vault. */
  Future<Settings> settings(String accountId, String name);

  /** Sets (or with null, removes) the access policy; false when there is no such vault. */
  Future<Boolean> setAccessPolicy(String accountId, String name, String policy);

  /** Sets (or with nulls, removes) the notification settings; false when there is no such vault. */
  Future<Boolean> setNotifications(String accountId, String name, String snsTopicArn, JsonArray events);
}
