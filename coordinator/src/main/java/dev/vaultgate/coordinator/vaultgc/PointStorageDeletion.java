package dev.vaultgate.coordinator.vaultgc;

import dev.vaultgate.coordinator.agent.VaultStorageAccess;
import dev.vaultgate.coordinator.db.RowsInTurn;
import dev.vaultgate.coordinator.audit.ActivityEvents;
import dev.vaultgate.coordinator.audit.ActivityRecorder;
import dev.vaultgate.vault.lifecycle.KeylessLifecycle;
import dev.vaultgate.vault.storage.ObjectLockedException;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass over deleted recovery points whose objects are still in storage (V16's trigger lists them): each point's
 * manifests ({@code points/<id>}) and reference lists ({@code refs/<id>}) are deleted without the vault's key, the
 * deletion is recorded in the activity log as the service acting, and the vault is marked for gc (its packs need the
 * key). Every replica runs a pass; deleting what is gone succeeds, so two at once only repeat each other.
 *
 * <p>While Object Lock protects a manifest (retention not yet passed, a legal hold) the point stays listed with the
 * refusal and is tried again after {@code retryAfter}: one log line when a point is first refused, none on later
 * refusals. A storage id that a live recovery point of the same vault still names is never deleted.
 */
public final class PointStorageDeletion {
  private static final Logger LOG = LoggerFactory.getLogger(PointStorageDeletion.class);
  private static final int BATCH = 100;

  static final String DUE = "SELECT recovery_point_arn, account_id, vault_name, vault_arn, point_ids, attempts,"
      + " last_refusal FROM recovery_point_storage_deletions WHERE next_attempt_at <= $1"
      + " ORDER BY next_attempt_at, recovery_point_arn LIMIT $2";
  /** The live points of the vault that name one of these storage ids (a copy into the same vault, say). */
  static final String STILL_NAMED = "SELECT rp.recovery_point_arn FROM recovery_points rp"
      + " JOIN backup_vaults v ON v.account_id = rp.account_id AND v.name = rp.vault_name"
      + " WHERE v.arn = $1 AND string_to_array(replace(recovery_point_storage_ids(rp.restore_metadata), ' ', ''), ',') && $2"
      + " LIMIT 1";
  static final String DONE = "DELETE FROM recovery_point_storage_deletions WHERE recovery_point_arn = $1";
  static final String REFUSED = "UPDATE recovery_point_storage_deletions SET attempts = attempts + 1,"
      + " last_refusal = $2, next_attempt_at = $3 WHERE recovery_point_arn = $1";
  static final String GC_DUE = "INSERT INTO vault_gc_state (vault_arn, account_id, vault_name, deletions_since_gc)"
      + " VALUES ($1, $2, $3, 1) ON CONFLICT (vault_arn) DO UPDATE SET deletions_since_gc ="
      + " vault_gc_state.deletions_since_gc + 1";

  /** What a pass did. */
  public record Result(int pointsDeleted, int stillProtected, int failures) {
    Result plus(Result o) {
      return new Result(pointsDeleted + o.pointsDeleted, stillProtected + o.stillProtected, failures + o.failures);
    }

    static final Result NONE = new Result(0, 0, 0);
  }

  private final Pool pool;
  private final VaultStorageAccess vaults;
  private final ActivityRecorder activity;
  private final Duration retryAfter;

  /**
   * @param vaults where the vaults are and how to open them, with the owner's credentials
   * @param retryAfter how long a point Object Lock still protects (or storage failed on) waits before the next try
   */
  public PointStorageDeletion(Pool pool, VaultStorageAccess vaults, ActivityRecorder activity, Duration retryAfter) {
    this.pool = pool;
    this.vaults = vaults;
    this.activity = activity;
    this.retryAfter = retryAfter;
  }

  /** Deletes from storage what points deleted up to now left there, as far as Object Lock lets it. */
  public Future<Result> run(Instant now) {
    return pool.preparedQuery(DUE).execute(Tuple.of(now.atOffset(ZoneOffset.UTC), BATCH)).compose(rows -> RowsInTurn.sum(rows, Result.NONE, row -> delete(row, now), Result::plus));
  }

  private Future<Result> delete(Row row, Instant now) {
    String arn = row.getString("recovery_point_arn");
    String vaultArn = row.getString("vault_arn");
    List<String> ids = ids(row.getString("point_ids"));
    String location = vaults.location(vaultArn);
    if ((location == null || ids.isEmpty()) && row.getString("last_refusal") == null) {
      LOG.warn("storage deletion of recovery point {}: no storage known for vault {} (region without --region-storage):"
          + " its objects stay", arn, vaultArn);
    }
    if (location == null || ids.isEmpty()) {
      return refused(row, "no storage known for vault " + vaultArn, now).map(new Result(0, 0, 1));
    }
    return pool.preparedQuery(STILL_NAMED).execute(Tuple.tuple().addValue(vaultArn).addValue(ids.toArray(new String[0]))).compose(named -> {
      if (named.size() > 0) {
        // Another live point owns these objects: the deleted point's row goes, its objects stay with their owner.
        return pool.preparedQuery(DONE).execute(Tuple.of(arn)).map(Result.NONE);
      }
      VaultStorage storage;
      try {
        storage = vaults.open(location);
      } catch (RuntimeException e) {
        return failed(row, location, e, now);
      }
      Future<Void> chain = Future.succeededFuture();
      for (String id : ids) {
        chain = chain.compose(v -> KeylessLifecycle.deletePoint(storage, id));
      }
      return chain.eventually(() -> {
        storage.close();
        return Future.succeededFuture();
      }).compose(v -> {
        LOG.info("storage deletion: recovery point {} deleted from {} ({} manifest(s) and reference list(s))", arn,
            location, ids.size());
        activity.record(ActivityEvents.serviceAction("DeleteRecoveryPointFromStorage", row.getString("account_id"),
            new JsonObject().put("recoveryPointArn", arn).put("backupVaultArn", vaultArn)
                .put("vaultPointIds", new JsonArray(new ArrayList<>(ids))), now, vaults.region()));
        return pool.withTransaction(conn -> conn.preparedQuery(DONE).execute(Tuple.of(arn))
                .compose(r -> conn.preparedQuery(GC_DUE).execute(Tuple.of(vaultArn, row.getString("account_id"),
                    row.getString("vault_name")))))
            .map(new Result(1, 0, 0));
      }, e -> e instanceof ObjectLockedException
          ? locked(row, location, e, now)
          : failed(row, location, e, now));
    });
  }

  private Future<Result> locked(Row row, String location, Throwable e, Instant now) {
    if (row.getString("last_refusal") == null) {
      LOG.info("storage deletion: recovery point {} stays in {} while Object Lock protects it; tried again every {}: {}",
          row.getString("recovery_point_arn"), location, retryAfter, e.getMessage());
    }
    return refused(row, e.getMessage(), now).map(new Result(0, 1, 0));
  }

  private Future<Result> failed(Row row, String location, Throwable e, Instant now) {
    if (row.getString("last_refusal") == null || !row.getString("last_refusal").equals(e.getMessage())) {
      LOG.warn("storage deletion: cannot delete recovery point {} from {} (tried again in {}): {}",
          row.getString("recovery_point_arn"), location, retryAfter, e.getMessage());
    }
    return refused(row, e.getMessage(), now).map(new Result(0, 0, 1));
  }

  private Future<Void> refused(Row row, String reason, Instant now) {
    return pool.preparedQuery(REFUSED).execute(Tuple.of(row.getString("recovery_point_arn"), reason,
        now.plus(retryAfter).atOffset(ZoneOffset.UTC))).mapEmpty();
  }

  static List<String> ids(String pointIds) {
    List<String> out = new ArrayList<>();
    if (pointIds != null) {
      for (String id : pointIds.split(",")) {
        if (!id.isBlank()) out.add(id.trim());
      }
    }
    return out;
  }
}
