package dev.vaultgate.coordinator.vaultgc;

import dev.vaultgate.coordinator.agent.VaultStorageAccess;
import dev.vaultgate.coordinator.audit.ActivityEvents;
import dev.vaultgate.coordinator.audit.ActivityRecorder;
import dev.vaultgate.vault.crypto.KeyWrapper;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.maintenance.GarbageCollector;
import dev.vaultgate.vault.maintenance.GcReport;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultBusyException;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of vault gc: each vault whose points left storage since its last gc ({@link PointStorageDeletion} counts
 * them) and whose last gc try is at least one interval old is opened with the vault master key and collected by the
 * vault engine's own {@link GarbageCollector} (exclusive vault lock, refuses while a backup holds the vault, never
 * shortens a retention, rewrites the reference lists). Keyless gc would not be safe: an index segment may name live
 * and dead packs. A replica claims a vault's try in the database first, so replicas do not collect one vault twice.
 * A gc refused because a backup holds the vault, or failed, is tried again the next interval; a finished gc is
 * recorded in the activity log as the service acting.
 */
public final class VaultGarbageCollection {
  private static final Logger LOG = LoggerFactory.getLogger(VaultGarbageCollection.class);
  private static final int BATCH = 20;
  private static final String BUSY = "busy: ";

  static final String DUE = "SELECT vault_arn FROM vault_gc_state WHERE deletions_since_gc > 0"
      + " AND (last_attempt_at IS NULL OR last_attempt_at <= $1) ORDER BY last_attempt_at NULLS FIRST LIMIT $2";
  /** Claims one vault's try: the replica whose update matched runs it. */
  static final String CLAIM = "UPDATE vault_gc_state SET last_attempt_at = $2 WHERE vault_arn = $1"
      + " AND deletions_since_gc > 0 AND (last_attempt_at IS NULL OR last_attempt_at <= $3)"
      + " RETURNING account_id, vault_name, deletions_since_gc, last_refusal";
  /** Deletions counted after the claim stay due: gc read the points before they left. */
  static final String DONE = "UPDATE vault_gc_state SET deletions_since_gc = greatest(deletions_since_gc - $2, 0),"
      + " last_gc_at = $3, last_refusal = NULL WHERE vault_arn = $1";
  static final String REFUSED = "UPDATE vault_gc_state SET last_refusal = $2 WHERE vault_arn = $1";

  /** What a pass did. */
  public record Result(int vaultsCollected, int vaultsBusy, int failures, int packsDeleted, long bytesFreed) {
    Result plus(Result o) {
      return new Result(vaultsCollected + o.vaultsCollected, vaultsBusy + o.vaultsBusy, failures + o.failures,
          packsDeleted + o.packsDeleted, bytesFreed + o.bytesFreed);
    }

    static final Result NONE = new Result(0, 0, 0, 0, 0);
  }

  private final Vertx vertx;
  private final Pool pool;
  private final VaultStorageAccess vaults;
  private final ActivityRecorder activity;
  private final VaultGcSettings settings;

  public VaultGarbageCollection(Vertx vertx, Pool pool, VaultStorageAccess vaults, ActivityRecorder activity,
      VaultGcSettings settings) {
    this.vertx = vertx;
    this.pool = pool;
    this.vaults = vaults;
    this.activity = activity;
    this.settings = settings;
  }

  /** Collects the vaults due at {@code now}; nothing without a vault master key. */
  public Future<Result> run(Instant now) {
    if (!settings.collects()) return Future.succeededFuture(Result.NONE);
    var tooRecent = now.minus(settings.interval()).atOffset(ZoneOffset.UTC);
    return pool.preparedQuery(DUE).execute(Tuple.of(tooRecent, BATCH)).compose(rows -> {
      List<String> vaults = new ArrayList<>();
      rows.forEach(r -> vaults.add(r.getString(0)));
      Future<Result> chain = Future.succeededFuture(Result.NONE);
      for (String vaultArn : vaults) {
        chain = chain.compose(sum -> pool.preparedQuery(CLAIM)
            .execute(Tuple.of(vaultArn, now.atOffset(ZoneOffset.UTC), tooRecent))
            .compose(claimed -> claimed.size() == 0 ? Future.succeededFuture(Result.NONE)
                : collect(vaultArn, claimed.iterator().next(), now))
            .map(sum::plus));
      }
      return chain;
    });
  }

  private Future<Result> collect(String vaultArn, Row claim, Instant now) {
    String account = claim.getString("account_id");
    int deletions = claim.getInteger("deletions_since_gc");
    String location = vaults.location(vaultArn);
    if (location == null) {
      return refused(vaultArn, claim, "no storage known for vault " + vaultArn, false).map(new Result(0, 0, 1, 0, 0));
    }
    VaultStorage storage;
    try {
      storage = vaults.open(location);
    } catch (RuntimeException e) {
      return refused(vaultArn, claim, e.getMessage(), false).map(new Result(0, 0, 1, 0, 0));
    }
    Future<KeyWrapper> key = vertx.executeBlocking(() -> LocalKeyWrapper.load(settings.vaultMasterKeyFile()), false);
    // Opened without the index: gc reads it under its exclusive lock (GarbageCollector.collect), once.
    return key.compose(k -> Repository.openWithoutIndex(vertx, storage, k))
        .compose(repo -> GarbageCollector.collect(repo).eventually(() -> {
          repo.close();
          return Future.succeededFuture();
        }))
        .eventually(() -> {
          storage.close();
          return Future.succeededFuture();
        })
        .compose(report -> done(vaultArn, account, location, deletions, report, now),
            e -> e instanceof VaultBusyException
                ? refused(vaultArn, claim, e.getMessage(), true).map(new Result(0, 1, 0, 0, 0))
                : refused(vaultArn, claim, e.getMessage(), false).map(new Result(0, 0, 1, 0, 0)));
  }

  private Future<Result> done(String vaultArn, String account, String location, int deletions, GcReport report,
      Instant now) {
    LOG.info("vault gc of {}: {} packs deleted, {} repacked, {} left to Object Lock, {} bytes freed", location,
        report.packsDeleted(), report.packsRepacked(), report.packsRetained(), report.bytesFreed());
    activity.record(ActivityEvents.serviceAction("GarbageCollectBackupVault", account, new JsonObject()
        .put("backupVaultArn", vaultArn).put("packsDeleted", report.packsDeleted())
        .put("packsRepacked", report.packsRepacked()).put("packsRetained", report.packsRetained())
        .put("bytesFreed", report.bytesFreed()).put("chunksRemoved", report.chunksRemoved()), now, vaults.region()));
    // Packs Object Lock still retained stay due: the gc of the next interval after their retention frees them.
    int settled = report.packsRetained() > 0 ? 0 : deletions;
    return pool.preparedQuery(DONE).execute(Tuple.of(vaultArn, settled, now.atOffset(ZoneOffset.UTC)))
        .map(new Result(1, 0, 0, report.packsDeleted(), report.bytesFreed()));
  }

  /** The vault stays due for the next interval; one log line per new reason, none while it repeats. */
  private Future<Void> refused(String vaultArn, Row claim, String message, boolean busy) {
    // A busy vault's message names the backup's lock and its time: the prefix says it is the same reason.
    String reason = busy ? BUSY + message : message;
    String last = claim.getString("last_refusal");
    if (!(busy ? last != null && last.startsWith(BUSY) : reason.equals(last))) {
      if (busy) {
        LOG.info("vault gc of {} waits for the next interval ({}): {}", vaultArn, settings.interval(), message);
      } else {
        LOG.warn("vault gc of {} failed, tried again in {}: {}", vaultArn, settings.interval(), message);
      }
    }
    return pool.preparedQuery(REFUSED).execute(Tuple.of(vaultArn, reason)).mapEmpty();
  }
}
