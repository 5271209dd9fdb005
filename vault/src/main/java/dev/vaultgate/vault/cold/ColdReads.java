package dev.vaultgate.vault.cold;

import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.storage.ArchiveState;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Makes the packs a read needs readable before it starts: packs in a class a GET reads directly (STANDARD,
 * GLACIER_IR, a Ceph placement class) need nothing; packs in an archive class (GLACIER, DEEP_ARCHIVE) get one
 * RestoreObject each, all at once (so a point's packs thaw together, not one after another), and the read waits,
 * polling HeadObject's {@code x-amz-restore}, until every one is readable. Without archived packs this costs one
 * listing of {@code packs/}.
 */
public final class ColdReads {
  private static final Logger LOG = LoggerFactory.getLogger(ColdReads.class);
  private static final int PARALLELISM = 16;

  /** Told how a wait for archived packs goes; called on the caller's context, must not block. */
  @FunctionalInterface
  public interface ThawProgress {
    ThawProgress NONE = (readable, total, waited) -> { };

    void update(int readable, int total, Duration waited);
  }

  /**
   * @param restoreDays how long S3 keeps a restored copy readable
   * @param pollInterval the longest time between two looks at the packs still being restored (the first looks come
   *                     after 1, 2, 4... seconds; S3 takes minutes for GLACIER, hours for DEEP_ARCHIVE)
   * @param maxWait how long to wait in all before failing (the restores go on; a later read finds them done)
   */
  public record Options(int restoreDays, Duration pollInterval, Duration maxWait, ThawProgress progress) {
    public static Options defaults() {
      return new Options(7, Duration.ofMinutes(5), Duration.ofDays(3), ThawProgress.NONE);
    }

    public Options withPolling(Duration interval, Duration max) {
      return new Options(restoreDays, interval, max, progress);
    }

    public Options withProgress(ThawProgress p) {
      return new Options(restoreDays, pollInterval, maxWait, p);
    }
  }

  private ColdReads() {
  }

  /** Makes every pack {@code manifest} needs readable; answers how many had to be restored from an archive class. */
  public static Future<Integer> thaw(Repository repo, Manifest manifest) {
    return thaw(repo, manifest, Options.defaults());
  }

  public static Future<Integer> thaw(Repository repo, Manifest manifest, Options options) {
    return repo.onCpu(() -> repo.referencedPacks(manifest)).compose(packs -> thaw(repo.vertx(), repo.storage(), packs, options));
  }

  /** Makes the packs with these ids readable; answers how many had to be restored from an archive class. */
  public static Future<Integer> thaw(io.vertx.core.Vertx vertx, VaultStorage storage, Collection<String> packIds, Options options) {
    return storage.storageClasses(ObjectKeys.PACKS).compose(classes -> {
      List<String> archived = new ArrayList<>();
      for (String pack : packIds) {
        String key = ObjectKeys.pack(pack);
        if (ArchiveState.archiveClass(classes.get(key))) {
          archived.add(key);
        }
      }
      if (archived.isEmpty()) {
        return Future.succeededFuture(0);
      }
      Set<String> pending = java.util.Collections.synchronizedSet(new TreeSet<>());
      return Bounded.forEach(archived, PARALLELISM, key -> storage.archiveState(key).compose(state -> {
        if (state.readable()) {
          return Future.succeededFuture();
        }
        pending.add(key);
        return state.restoreInProgress() ? Future.succeededFuture() : storage.requestRestore(key, options.restoreDays());
      })).compose(v -> {
        LOG.info("{}: {} of {} archived packs need a restore from {} (asked for; waiting)", storage.describe(),
            pending.size(), archived.size(), classes.get(archived.get(0)));
        options.progress().update(archived.size() - pending.size(), archived.size(), Duration.ZERO);
        return waitFor(vertx, storage, pending, archived.size(), System.nanoTime(), 0, options);
      }).map(archived.size());
    });
  }

  private static Future<Void> waitFor(io.vertx.core.Vertx vertx, VaultStorage storage, Set<String> pending, int total,
      long startNanos, int polls, Options options) {
    if (pending.isEmpty()) {
      return Future.succeededFuture();
    }
    Duration waited = Duration.ofNanos(System.nanoTime() - startNanos);
    if (waited.compareTo(options.maxWait()) >= 0) {
      return Future.failedFuture(new VaultException("cannot read " + pending.size() + " of " + total + " archived packs of "
          + storage.describe() + " (first " + pending.iterator().next() + "): their restore from the archive class has not"
          + " finished after " + waited.toMinutes() + " min; it goes on, run the restore again later"));
    }
    // 1 s, 2 s, 4 s... up to the poll interval: a restore already done (GLACIER expedited, a second reader) is seen
    // at once, and a DEEP_ARCHIVE restore of hours costs a HEAD per pack every few minutes.
    long delay = Math.max(1, Math.min(options.pollInterval().toMillis(), 1000L << Math.min(polls, 20)));
    return vertx.timer(delay, TimeUnit.MILLISECONDS)
        .compose(fired -> Bounded.forEach(new ArrayList<>(pending), PARALLELISM, key -> storage.archiveState(key)
            .map(state -> {
              if (state.readable()) {
                pending.remove(key);
              }
              return null;
            })))
        .compose(v -> {
          Duration now = Duration.ofNanos(System.nanoTime() - startNanos);
          options.progress().update(total - pending.size(), total, now);
          LOG.info("{}: {} of {} archived packs restored after {} s", storage.describe(), total - pending.size(), total,
              now.toSeconds());
          return waitFor(vertx, storage, pending, total, startNanos, polls + 1, options);
        });
  }

  /** The storage classes of the packs with these ids (for reports and tests). */
  public static Future<Map<String, String>> classesOf(VaultStorage storage) {
    return storage.storageClasses(ObjectKeys.PACKS);
  }
}
