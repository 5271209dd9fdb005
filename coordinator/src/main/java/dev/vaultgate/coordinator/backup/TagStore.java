package dev.vaultgate.coordinator.backup;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/** Tags of resources (vaults, plans, recovery points ...) by ARN, per account. */
public interface TagStore {

  Future<Void> tag(String accountId, String resourceArn, Map<String, String> tags);

  Future<Void> untag(String accountId, String resourceArn, List<String> keys);

  /** The tags, by key order. */
  Future<Map<String, String>> tags(String accountId, String resourceArn);
}
