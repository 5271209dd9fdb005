package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.ObjectLockState;
import dev.vaultgate.vault.storage.Retention;
import io.vertx.core.Future;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Part of {@code vault check} for a locked vault: what Object Lock says about each object against what the
 * recovery points that need it require. A point requires its manifest's retention (and legal hold) of every pack,
 * index segment and the config it needs; one Object Lock read per object, however many points share it.
 */
final class RetentionCheck {
  private static final int PARALLELISM = 8;

  private RetentionCheck() {
  }

  /** What one object must have: the longest retention and whether a held point needs it, and who asks. */
  private record Need(Retention retention, String retentionFrom, String holdFrom) {
    Need merge(Need other) {
      String hold = holdFrom != null ? holdFrom : other.holdFrom;
      if (retention == null || other.retention == null) {
        return retention == null ? new Need(other.retention, other.retentionFrom, hold) : new Need(retention, retentionFrom, hold);
      }
      return new Need(retention.union(other.retention),
          retention.covers(other.retention) ? retentionFrom : other.retentionFrom, hold);
    }
  }

  static Future<Void> run(Repository repo, List<String> errors) {
    Instant now = Instant.now();
    Map<String, Need> needs = new ConcurrentHashMap<>();
    return repo.listPoints().compose(ids -> Bounded.forEach(ids, PARALLELISM, id -> repo.storage()
            .lockState(ObjectKeys.point(id))
            .compose(state -> {
              Retention r = state.retention().filter(x -> x.activeAt(now)).orElse(null);
              if (r == null && !state.legalHold()) {
                return Future.succeededFuture(); // nothing to require any more
              }
              Need need = new Need(r, r == null ? null : id, state.legalHold() ? id : null);
              return repo.loadPoint(id).compose((Manifest m) -> repo.onCpu(() -> {
                for (String key : repo.referencedObjects(m)) {
                  needs.merge(key, need, Need::merge);
                }
                return null;
              }));
            })))
        .compose(v -> Bounded.forEach(new ArrayList<>(needs.keySet()), PARALLELISM, key -> repo.storage().lockState(key)
            .map(state -> {
              compare(key, state, needs.get(key), errors);
              return null;
            })
            .recover(e -> VaultChecker.finding(e, errors, "cannot read the Object Lock state of " + key + ": " + e.getMessage()))));
  }

  private static void compare(String key, ObjectLockState state, Need need, List<String> errors) {
    if (need.retention != null && !state.retention().map(r -> r.covers(need.retention)).orElse(false)) {
      errors.add(key + " is retained " + state.retention().map(Retention::toString).orElse("not at all")
          + " but recovery point " + need.retentionFrom + " needs it " + need.retention);
    }
    if (need.holdFrom != null && !state.legalHold()) {
      errors.add(key + " has no legal hold but recovery point " + need.holdFrom + " is on legal hold");
    }
  }
}
