package dev.vaultgate.coordinator.lockcheck;

import dev.vaultgate.coordinator.agent.VaultStorageAccess;
import dev.vaultgate.coordinator.db.RowsInTurn;
import dev.vaultgate.coordinator.lifecycle.StorageLifecycle;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.storage.ObjectLockState;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, for every completed recovery point of a locked vault, that its storage holds it as long as the
 * database says: GetObjectRetention and GetObjectLegalHold (through {@link VaultStorage#lockState}) of each of its
 * manifests (the ids the gateway reports in the restore metadata, {@link StorageLifecycle#pointIds}), of each manifest's
 * reference list {@code refs/<id>}, and of every object that list names (packs, index segments, the config), against
 * the point's delete date and, for a point the storage lifecycle put on legal hold (V17), that every one of them is
 * held ({@link LockDrift}). Objects shared by several points are asked about once per pass.
 * Points written before reference lists existed are checked by their manifests only. Differences are logged at WARN,
 * kept in {@code lock_findings} (one row per point and pass, naming the first object and how many more), and shown
 * as the point's StatusMessage (DescribeRecoveryPoint); a point found consistent again loses that message. Points
 * without those ids (made before they were reported) are skipped.
 */
public final class LockReconciler {
  private static final Logger LOG = LoggerFactory.getLogger(LockReconciler.class);
  /** Marks the StatusMessage this reconciler sets, so it clears only its own. */
  static final String PREFIX = "Vault lock check: ";

  static final String POINTS = "SELECT rp.recovery_point_arn, rp.account_id, rp.vault_name, rp.delete_at, rp.restore_metadata,"
      + " rp.status_message, rp.storage_legal_hold, v.arn AS vault_arn FROM recovery_points rp JOIN backup_vaults v"
      + " ON v.account_id = rp.account_id AND v.name = rp.vault_name WHERE v.locked AND rp.status = 'COMPLETED'"
      + " ORDER BY rp.recovery_point_arn";
  static final String INSERT = "INSERT INTO lock_findings (found_at, account_id, vault_name, recovery_point_arn, object_key,"
      + " message) VALUES ($1, $2, $3, $4, $5, $6)";
  static final String SET_MESSAGE = "UPDATE recovery_points SET status_message = $2 WHERE recovery_point_arn = $1";
  static final String FINDINGS = "SELECT message FROM lock_findings WHERE account_id = $1 AND recovery_point_arn = $2"
      + " ORDER BY finding_id";

  private final Pool pool;
  private final VaultStorageAccess vaults;

  /** @param vaults where the vaults are and how to open them (the coordinator: the AWS SDK's default credentials) */
  public LockReconciler(Pool pool, VaultStorageAccess vaults) {
    this.pool = pool;
    this.vaults = vaults;
  }

  /** One pass over every locked vault's points; the number of objects found not held as the database says. */
  public Future<Integer> run(Instant now) {
    Map<String, ObjectLockState> asked = new HashMap<>(); // location|key -> state (null: missing), for this pass
    return pool.preparedQuery(POINTS).execute()
        .compose(rows -> RowsInTurn.sum(rows, 0, row -> check(row, now, asked), Integer::sum));
  }


  private Future<Integer> check(Row row, Instant now, Map<String, ObjectLockState> asked) {
    String arn = row.getString("recovery_point_arn");
    JsonObject metadata = (JsonObject) row.getValue("restore_metadata");
    List<String> ids = StorageLifecycle.pointIds(metadata);
    String location = vaults.location(row.getString("vault_arn"));
    if (ids.isEmpty() || location == null) {
      return Future.succeededFuture(0);
    }
    Instant deleteAt = row.getOffsetDateTime("delete_at") == null ? null : row.getOffsetDateTime("delete_at").toInstant();
    Expected expected = new Expected(deleteAt, Boolean.TRUE.equals(row.getBoolean("storage_legal_hold")));
    VaultStorage storage;
    try {
      storage = vaults.open(location);
    } catch (RuntimeException e) {
      LOG.warn("lock check of {}: cannot open {}: {}", arn, location, e.getMessage());
      return Future.succeededFuture(0);
    }
    List<String> messages = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String id : ids) {
      chain = chain.compose(v -> compare(storage, location, ObjectKeys.point(id), expected, asked, messages))
          .compose(v -> storage.get(ObjectKeys.refs(id))
              .map(bytes -> PointReferences.decode(id, bytes).objects())
              // a point written before reference lists existed: its manifest is all there is to check
              .recover(e -> e instanceof ObjectNotFoundException ? Future.succeededFuture(java.util.Set.of()) : Future.failedFuture(e))
              .compose(objects -> {
                Future<Void> each = objects.isEmpty() ? Future.succeededFuture()
                    : compare(storage, location, ObjectKeys.refs(id), expected, asked, messages);
                for (String key : objects) {
                  each = each.compose(x -> compare(storage, location, key, expected, asked, messages));
                }
                return each;
              }));
    }
    return chain.eventually(() -> {
      storage.close();
      return Future.succeededFuture();
    }).compose(v -> record(row, arn, messages, now).map(messages.size()));
  }

  /** Adds why {@code key} does not hold the point to {@code messages}; asks the storage once per pass and object. */
  /** What the database says of a point: kept until {@code deleteAt} (null: no date), on legal hold in storage or not. */
  private record Expected(Instant deleteAt, boolean heldInStorage) {
  }

  private static Future<Void> compare(VaultStorage storage, String location, String key, Expected expected,
      Map<String, ObjectLockState> asked, List<String> messages) {
    String cacheKey = location + "|" + key;
    Future<ObjectLockState> state = asked.containsKey(cacheKey) ? Future.succeededFuture(asked.get(cacheKey))
        : storage.lockState(key)
            .<ObjectLockState>recover(e -> e instanceof ObjectNotFoundException ? Future.succeededFuture(null) : Future.failedFuture(e))
            .onSuccess(s -> asked.put(cacheKey, s));
    return state.map(s -> {
      String message = LockDrift.compare(key, expected.deleteAt(), expected.heldInStorage(), s);
      if (message != null) {
        messages.add(message);
      }
      return null;
    });
  }

  /** One finding per point and pass: the first object's message and how many more objects fall short. */
  private Future<Void> record(Row row, String arn, List<String> messages, Instant now) {
    String current = row.getString("status_message");
    if (messages.isEmpty()) {
      return current != null && current.startsWith(PREFIX)
          // Tuple.of(arn, null) would pass a null varargs array: clearing the message needs an explicit null value.
          ? pool.preparedQuery(SET_MESSAGE).execute(Tuple.tuple().addValue(arn).addValue(null)).mapEmpty()
          : Future.succeededFuture();
    }
    String account = row.getString("account_id");
    String vault = row.getString("vault_name");
    String first = messages.get(0);
    String message = messages.size() == 1 ? first
        : first + "; and " + (messages.size() - 1) + " more of the point's objects likewise";
    LOG.warn("lock check: recovery point {} of vault {} (account {}): {}", arn, vault, account, message);
    String key = first.substring(0, first.indexOf(' '));
    return pool.preparedQuery(INSERT).execute(Tuple.of(now.atOffset(ZoneOffset.UTC), account, vault, arn, key, message))
        .compose(v -> pool.preparedQuery(SET_MESSAGE).execute(Tuple.of(arn, PREFIX + message))).mapEmpty();
  }

  /** The findings recorded for a point, oldest first. */
  public Future<List<String>> findings(String accountId, String recoveryPointArn) {
    return pool.preparedQuery(FINDINGS).execute(Tuple.of(accountId, recoveryPointArn)).map(rows -> {
      List<String> out = new ArrayList<>();
      rows.forEach(r -> out.add(r.getString(0)));
      return out;
    });
  }
}
