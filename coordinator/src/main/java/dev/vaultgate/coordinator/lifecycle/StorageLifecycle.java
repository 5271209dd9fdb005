package dev.vaultgate.coordinator.lifecycle;

import dev.vaultgate.coordinator.agent.VaultStorageAccess;
import dev.vaultgate.coordinator.db.RowsInTurn;
import dev.vaultgate.coordinator.audit.ActivityEvents;
import dev.vaultgate.coordinator.audit.ActivityRecorder;
import dev.vaultgate.vault.cold.ColdStorage;
import dev.vaultgate.vault.lifecycle.KeylessLifecycle;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of the storage side of recovery point lifecycles (each replica runs one every scheduler interval; every
 * step is idempotent, so two replicas at once only repeat each other):
 * <ol>
 *   <li>Retention: points whose delete date moved later (V13's trigger sets {@code storage_retention_pending}) in a
 *       locked vault get their manifests, reference lists and every object those name retained until the new date
 *       ({@link KeylessLifecycle#extendRetention}: never shortened, the mode kept). The flag is cleared only if the
 *       delete date did not move again meanwhile.
 *   <li>Cold storage: for each vault with COLD points whose packs were not moved yet and whose vault carries the tag
 *       {@value #COLD_CLASS_TAG} (the storage class to move to: GLACIER_IR, DEEP_ARCHIVE, a Ceph placement class...),
 *       {@link KeylessLifecycle#moveToCold} with every COLD point of the vault; a vault without the tag keeps its data
 *       where it is (the point is COLD in the API only).
 *   <li>Legal holds: while an ACTIVE legal hold covers a point of a locked vault, S3 legal holds on everything it
 *       needs; released when none does ({@link StorageLegalHolds}).
 * </ol>
 * Points are found in storage by the ids the gateway reported ({@link #pointIds}); points without them are
 * left alone. A failure is logged and the point stays due, so the next pass tries again.
 */
public final class StorageLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(StorageLifecycle.class);
  /** The vault tag naming its cold storage class. */
  public static final String COLD_CLASS_TAG = "vaultgate:ColdStorageClass";
  private static final Pattern STORAGE_CLASS = Pattern.compile("[A-Z][A-Z0-9_]{0,31}");
  private static final int BATCH = 100;

  static final String RETENTION_DUE = "SELECT rp.recovery_point_arn, rp.account_id, rp.vault_name, rp.delete_at,"
      + " rp.status, rp.restore_metadata, v.arn AS vault_arn, v.locked, v.lock_changeable_until"
      + " FROM recovery_points rp JOIN backup_vaults v ON v.account_id = rp.account_id AND v.name = rp.vault_name"
      + " WHERE rp.storage_retention_pending ORDER BY rp.recovery_point_arn LIMIT $1";
  static final String RETENTION_DONE = "UPDATE recovery_points SET storage_retention_pending = false,"
      + " storage_retained_until = COALESCE($3, storage_retained_until)"
      + " WHERE recovery_point_arn = $1 AND delete_at IS NOT DISTINCT FROM $2";
  static final String COLD_DUE = "SELECT DISTINCT rp.account_id, rp.vault_name, v.arn AS vault_arn, t.value AS cold_class"
      + " FROM recovery_points rp JOIN backup_vaults v ON v.account_id = rp.account_id AND v.name = rp.vault_name"
      + " JOIN resource_tags t ON t.account_id = v.account_id AND t.resource_arn = v.arn AND t.key = '" + COLD_CLASS_TAG + "'"
      + " WHERE rp.storage_class = 'COLD' AND rp.storage_cold_at IS NULL AND rp.status = 'COMPLETED'"
      + " ORDER BY rp.account_id, rp.vault_name LIMIT $1";
  static final String COLD_POINTS = "SELECT recovery_point_arn, restore_metadata FROM recovery_points"
      + " WHERE account_id = $1 AND vault_name = $2 AND storage_class = 'COLD' AND status = 'COMPLETED'";
  static final String COLD_DONE = "UPDATE recovery_points SET storage_cold_at = $3"
      + " WHERE account_id = $1 AND vault_name = $2 AND recovery_point_arn = ANY($4) AND storage_cold_at IS NULL";

  /** What a pass did. */
  public record Result(int retentionsExtended, int objectsExtended, int vaultsMovedToCold, int packsMovedToCold,
      int failures) {
    Result plus(Result o) {
      return new Result(retentionsExtended + o.retentionsExtended, objectsExtended + o.objectsExtended,
          vaultsMovedToCold + o.vaultsMovedToCold, packsMovedToCold + o.packsMovedToCold, failures + o.failures);
    }

    static final Result NONE = new Result(0, 0, 0, 0, 0);
  }

  private final Pool pool;
  private final VaultStorageAccess vaults;
  private final ActivityRecorder activity;
  private final StorageLegalHolds legalHolds;

  /** @param vaults where the vaults are and how to open them (retried: RGW closes kept-alive connections now and then) */
  public StorageLifecycle(Pool pool, VaultStorageAccess vaults) {
    this(pool, vaults, ActivityRecorder.NONE);
  }

  /** With each storage action recorded in the activity log as the service acting, in the point's account. */
  public StorageLifecycle(Pool pool, VaultStorageAccess vaults, ActivityRecorder activity) {
    this.activity = activity;
    this.pool = pool;
    this.vaults = vaults;
    this.legalHolds = new StorageLegalHolds(pool, vaults, activity);
  }

  /** One pass: pending retention extensions, then due cold moves, then legal holds ({@link StorageLegalHolds}). */
  public Future<Result> run(Instant now) {
    return extendRetentions(now).compose(r -> moveToCold(now).map(r::plus))
        .compose(r -> legalHolds.run(now).map(h -> r.plus(new Result(0, 0, 0, 0, h.failures()))));
  }

  private Future<Result> extendRetentions(Instant now) {
    return pool.preparedQuery(RETENTION_DUE).execute(Tuple.of(BATCH)).compose(rows -> RowsInTurn.sum(rows, Result.NONE, row -> extend(row, now), Result::plus));
  }

  private Future<Result> extend(Row row, Instant now) {
    String arn = row.getString("recovery_point_arn");
    OffsetDateTime deleteAt = row.getOffsetDateTime("delete_at");
    List<String> ids = pointIds(row.getJsonObject("restore_metadata"));
    String location = vaults.location(row.getString("vault_arn"));
    boolean applies = Boolean.TRUE.equals(row.getBoolean("locked")) && deleteAt != null
        && "COMPLETED".equals(row.getString("status")) && !ids.isEmpty() && location != null
        && deleteAt.toInstant().isAfter(now);
    if (!applies) {
      // Nothing in storage to extend: not locked (no retention), no objects known, or already past.
      return done(arn, deleteAt, null).map(Result.NONE);
    }
    OffsetDateTime changeableUntil = row.getOffsetDateTime("lock_changeable_until");
    RetentionMode modeIfNone = changeableUntil != null && !now.isBefore(changeableUntil.toInstant())
        ? RetentionMode.COMPLIANCE : RetentionMode.GOVERNANCE;
    VaultStorage storage = openOrLog(vaults, location, "storage lifecycle of " + arn);
    if (storage == null) {
      return Future.succeededFuture(new Result(0, 0, 0, 0, 1));
    }
    int[] extended = {0};
    Future<Void> chain = Future.succeededFuture();
    for (String id : ids) {
      chain = chain.compose(v -> KeylessLifecycle.extendRetention(storage, id, deleteAt.toInstant(), modeIfNone)
          .map(x -> {
            extended[0] += x.extended();
            return null;
          }));
    }
    return chain.eventually(() -> {
      storage.close();
      return Future.succeededFuture();
    }).compose(v -> {
      LOG.info("storage lifecycle: recovery point {} retained in {} until {} ({} objects extended)", arn, location,
          deleteAt, extended[0]);
      activity.record(ActivityEvents.serviceAction("ExtendRecoveryPointStorageRetention", row.getString("account_id"),
          new JsonObject().put("recoveryPointArn", arn).put("retainUntil", deleteAt.toInstant().toString())
              .put("objectsExtended", extended[0]), now, vaults.region()));
      return done(arn, deleteAt, deleteAt).map(new Result(1, extended[0], 0, 0, 0));
    }, e -> {
      LOG.warn("storage lifecycle: cannot extend the retention of recovery point {} in {} to {}: {}", arn, location,
          deleteAt, e.getMessage());
      return Future.succeededFuture(new Result(0, 0, 0, 0, 1));
    });
  }

  private Future<Void> done(String arn, OffsetDateTime deleteAt, OffsetDateTime retainedUntil) {
    return pool.preparedQuery(RETENTION_DONE).execute(Tuple.of(arn, deleteAt, retainedUntil)).mapEmpty();
  }

  private Future<Result> moveToCold(Instant now) {
    return pool.preparedQuery(COLD_DUE).execute(Tuple.of(BATCH)).compose(rows -> RowsInTurn.sum(rows, Result.NONE, vault -> moveVault(vault, now), Result::plus));
  }

  private Future<Result> moveVault(Row vault, Instant now) {
    String account = vault.getString("account_id");
    String name = vault.getString("vault_name");
    String coldClass = vault.getString("cold_class");
    String location = vaults.location(vault.getString("vault_arn"));
    if (location == null) {
      return Future.succeededFuture(Result.NONE);
    }
    if (coldClass == null || !STORAGE_CLASS.matcher(coldClass).matches() || "STANDARD".equals(coldClass)) {
      LOG.warn("storage lifecycle: vault {} (account {}) has tag {} = '{}', which is no cold storage class"
          + " (e.g. GLACIER_IR, DEEP_ARCHIVE, or a Ceph placement class such as COLD): its points stay where they are",
          name, account, COLD_CLASS_TAG, coldClass);
      return Future.succeededFuture(new Result(0, 0, 0, 0, 1));
    }
    return pool.preparedQuery(COLD_POINTS).execute(Tuple.of(account, name)).compose(rows -> {
      Set<String> ids = new LinkedHashSet<>();
      List<String> arns = new ArrayList<>();
      for (Row r : rows) {
        List<String> pointIds = pointIds(r.getJsonObject("restore_metadata"));
        if (!pointIds.isEmpty()) {
          ids.addAll(pointIds);
          arns.add(r.getString("recovery_point_arn"));
        }
      }
      if (ids.isEmpty()) {
        return Future.succeededFuture(Result.NONE);
      }
      VaultStorage storage = openOrLog(vaults, location, "storage lifecycle of vault " + name);
      if (storage == null) {
        return Future.succeededFuture(new Result(0, 0, 0, 0, 1));
      }
      return KeylessLifecycle.moveToCold(storage, ids, coldClass)
          .eventually(() -> {
            storage.close();
            return Future.succeededFuture();
          })
          .compose((ColdStorage.Report report) -> {
            LOG.info("storage lifecycle: vault {} (account {}): {} packs moved to {}, {} already there, {} kept warm"
                + " for warm points", name, account, report.moved(), coldClass, report.alreadyCold(), report.keptWarm());
            activity.record(ActivityEvents.serviceAction("MoveRecoveryPointsToColdStorage", account, new JsonObject()
                .put("backupVaultArn", vault.getString("vault_arn")).put("storageClass", coldClass)
                .put("recoveryPointArns", new io.vertx.core.json.JsonArray(arns)).put("packsMoved", report.moved())
                .put("packsKeptWarm", report.keptWarm()), now, vaults.region()));
            return pool.preparedQuery(COLD_DONE).execute(Tuple.of(account, name, now.atOffset(ZoneOffset.UTC),
                    arns.toArray(new String[0])))
                .map(new Result(0, 0, 1, report.moved(), 0));
          }, e -> {
            LOG.warn("storage lifecycle: cannot move cold points of vault {} (account {}) to {}: {}", name, account,
                coldClass, e.getMessage());
            return Future.succeededFuture(new Result(0, 0, 0, 0, 1));
          });
    });
  }

  /** Opens a vault's storage, or logs why it cannot and answers null: the pass counts a failure and goes on. */
  static VaultStorage openOrLog(VaultStorageAccess vaults, String location, String what) {
    try {
      return vaults.open(location);
    } catch (RuntimeException e) {
      LOG.warn("{}: cannot open {}: {}", what, location, e.getMessage());
      return null;
    }
  }

  /**
   * The vault point ids the gateway reported for a recovery point, in order: a VM's one per disk
   * ({@code vaultgate:pointIds}), a local volume's one ({@code vaultgate:recoveryPointId}); empty when neither.
   */
  public static List<String> pointIds(JsonObject restoreMetadata) {
    String ids = restoreMetadata == null ? null : restoreMetadata.getString("vaultgate:pointIds",
        restoreMetadata.getString("vaultgate:recoveryPointId"));
    List<String> out = new ArrayList<>();
    if (ids != null) {
      for (String id : ids.split(",")) {
        if (!id.isBlank()) {
          out.add(id.trim());
        }
      }
    }
    return out;
  }

}
