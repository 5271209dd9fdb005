package dev.vaultgate.coordinator.lifecycle;

import dev.vaultgate.coordinator.agent.VaultStorageAccess;
import dev.vaultgate.coordinator.audit.ActivityEvents;
import dev.vaultgate.coordinator.audit.ActivityRecorder;
import dev.vaultgate.coordinator.backup.PgLegalHoldStore;
import dev.vaultgate.coordinator.rules.LegalHoldScope;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.lifecycle.KeylessLifecycle;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's legal holds carried into the storage of locked vaults: while an ACTIVE legal hold's selection covers a
 * recovery point, every object the point needs (its manifests, their reference lists and what those name) carries an
 * S3 legal hold, so not even the vault owner's credentials can delete it whatever its retention; when no hold covers
 * it any more, the holds on objects no other held point needs are released ({@link LegalHoldPlan}). Keyless: the
 * objects come from the points' reference lists. Idempotent; a vault whose storage fails is tried again next pass.
 * Unlocked vaults keep legal holds in the database only (their buckets may have no Object Lock).
 */
final class StorageLegalHolds {
  private static final Logger LOG = LoggerFactory.getLogger(StorageLegalHolds.class);

  static final String POINTS = "SELECT rp.recovery_point_arn, rp.account_id, rp.vault_name, rp.resource_arn, rp.created_at,"
      + " rp.restore_metadata, rp.storage_legal_hold, v.arn AS vault_arn FROM recovery_points rp JOIN backup_vaults v"
      + " ON v.account_id = rp.account_id AND v.name = rp.vault_name WHERE v.locked AND rp.status = 'COMPLETED'"
      // only accounts with a hold to apply or a point still held in storage: most passes read nothing
      + " AND (rp.storage_legal_hold OR EXISTS (SELECT 1 FROM legal_holds h WHERE h.account_id = rp.account_id"
      + " AND h.status = 'ACTIVE'))"
      + " ORDER BY rp.account_id, rp.vault_name, rp.recovery_point_arn";
  static final String ACTIVE_HOLDS = "SELECT account_id, selection FROM legal_holds WHERE status = 'ACTIVE'";
  static final String SET_APPLIED = "UPDATE recovery_points SET storage_legal_hold = $2 WHERE recovery_point_arn = ANY($1)";

  /** What a pass did. */
  record Result(int pointsHeld, int pointsReleased, int objectsChanged, int failures) {
    static final Result NONE = new Result(0, 0, 0, 0);

    Result plus(Result o) {
      return new Result(pointsHeld + o.pointsHeld, pointsReleased + o.pointsReleased, objectsChanged + o.objectsChanged,
          failures + o.failures);
    }
  }

  private record PointRow(String arn, boolean held, boolean applied, List<String> ids) {
  }

  private final Pool pool;
  private final VaultStorageAccess vaults;
  private final ActivityRecorder activity;

  StorageLegalHolds(Pool pool, VaultStorageAccess vaults, ActivityRecorder activity) {
    this.pool = pool;
    this.vaults = vaults;
    this.activity = activity;
  }

  Future<Result> run(Instant now) {
    return pool.query(ACTIVE_HOLDS).execute().compose(holdRows -> {
      Map<String, List<LegalHoldScope>> scopes = new HashMap<>();
      for (Row h : holdRows) {
        scopes.computeIfAbsent(h.getString("account_id"), k -> new ArrayList<>())
            .add(PgLegalHoldStore.scope((JsonObject) h.getValue("selection")));
      }
      return pool.query(POINTS).execute().compose(rows -> {
        // account|vault ARN -> its points, in order
        Map<String, List<PointRow>> byVault = new LinkedHashMap<>();
        Map<String, String> accountOf = new HashMap<>();
        for (Row r : rows) {
          List<String> ids = StorageLifecycle.pointIds(r.getJsonObject("restore_metadata"));
          if (ids.isEmpty()) {
            continue; // nothing known in storage
          }
          String vaultArn = r.getString("vault_arn");
          Instant created = r.getOffsetDateTime("created_at").toInstant();
          boolean held = scopes.getOrDefault(r.getString("account_id"), List.of()).stream()
              .anyMatch(s -> s.matches(r.getString("vault_name"), r.getString("resource_arn"), created));
          byVault.computeIfAbsent(vaultArn, k -> new ArrayList<>())
              .add(new PointRow(r.getString("recovery_point_arn"), held, r.getBoolean("storage_legal_hold"), ids));
          accountOf.put(vaultArn, r.getString("account_id"));
        }
        Future<Result> chain = Future.succeededFuture(Result.NONE);
        for (Map.Entry<String, List<PointRow>> v : byVault.entrySet()) {
          if (v.getValue().stream().anyMatch(p -> p.held() != p.applied())) {
            chain = chain.compose(sum -> vault(v.getKey(), accountOf.get(v.getKey()), v.getValue(), now).map(sum::plus));
          }
        }
        return chain;
      });
    });
  }

  private Future<Result> vault(String vaultArn, String account, List<PointRow> points, Instant now) {
    String location = vaults.location(vaultArn);
    if (location == null) {
      return Future.succeededFuture(Result.NONE);
    }
    VaultStorage storage = StorageLifecycle.openOrLog(vaults, location, "storage legal holds of " + vaultArn);
    if (storage == null) {
      return Future.succeededFuture(new Result(0, 0, 0, 1));
    }
    boolean releasing = points.stream().anyMatch(p -> p.applied() && !p.held());
    List<LegalHoldPlan.Point> planned = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (PointRow p : points) {
      // the objects of points that change, and of every held point when something is released (they keep theirs)
      boolean needed = p.held() != p.applied() || (releasing && p.held());
      chain = chain.compose(x -> (needed ? objects(storage, p.ids()) : Future.succeededFuture(Set.<String>of()))
          .map(objects -> {
            planned.add(new LegalHoldPlan.Point(p.arn(), p.held(), p.applied(), objects));
            return null;
          }));
    }
    int[] changed = {0};
    return chain.compose(x -> {
      LegalHoldPlan plan = LegalHoldPlan.of(planned);
      Future<Void> writes = Future.succeededFuture();
      for (String key : plan.holdOn()) {
        writes = writes.compose(y -> storage.setLegalHold(key, true)).onSuccess(y -> changed[0]++);
      }
      for (String key : plan.holdOff()) {
        writes = writes.compose(y -> storage.setLegalHold(key, false)
            .recover(e -> e instanceof ObjectNotFoundException ? Future.succeededFuture() : Future.failedFuture(e)))
            .onSuccess(y -> changed[0]++);
      }
      return writes.compose(y -> mark(plan.pointsHeld(), true)).compose(y -> mark(plan.pointsReleased(), false))
          .map(y -> {
            LOG.info("storage legal holds in {}: {} point(s) held, {} released, {} object(s) changed", location,
                plan.pointsHeld().size(), plan.pointsReleased().size(), changed[0]);
            activity.record(ActivityEvents.serviceAction("ApplyLegalHoldsInStorage", account, new JsonObject()
                .put("backupVaultArn", vaultArn).put("recoveryPointsHeld", new JsonArray(plan.pointsHeld()))
                .put("recoveryPointsReleased", new JsonArray(plan.pointsReleased())).put("objectsChanged", changed[0]), now, vaults.region()));
            return new Result(plan.pointsHeld().size(), plan.pointsReleased().size(), changed[0], 0);
          });
    }).recover(e -> {
      LOG.warn("storage legal holds in {}: {} (tried again next pass)", location, e.getMessage());
      return Future.succeededFuture(new Result(0, 0, changed[0], 1));
    }).eventually(() -> {
      storage.close();
      return Future.succeededFuture();
    });
  }

  /** Every object a recovery point needs: per vault point id, its manifest, its reference list and what that names. */
  private static Future<Set<String>> objects(VaultStorage storage, List<String> ids) {
    Set<String> out = new TreeSet<>();
    Future<Void> chain = Future.succeededFuture();
    for (String id : ids) {
      chain = chain.compose(x -> KeylessLifecycle.readReferences(storage, id).map(refs -> {
        out.add(ObjectKeys.point(id));
        out.add(ObjectKeys.refs(id));
        out.addAll(refs.objects());
        return null;
      }));
    }
    return chain.map(out);
  }

  private Future<Void> mark(List<String> arns, boolean applied) {
    return arns.isEmpty() ? Future.succeededFuture()
        : pool.preparedQuery(SET_APPLIED).execute(Tuple.of(arns.toArray(String[]::new), applied)).mapEmpty();
  }
}
