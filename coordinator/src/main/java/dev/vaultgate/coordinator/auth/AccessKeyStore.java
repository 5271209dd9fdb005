package dev.vaultgate.coordinator.auth;

import io.vertx.core.Future;

/** Accounts and their access keys. */
public interface AccessKeyStore {

  /** The key with this id, or a null result when there is none. */
  Future<AccessKey> find(String accessKeyId);

  /** Creates the account when it does not exist, then stores the key (kept when present). */
  Future<AccessKey> save(AccessKey key);

  /** Issues a new key for an account, creating the account when needed. */
  default Future<AccessKey> issue(String accountId) {
    return save(AccessKey.generate(accountId));
  }
}
