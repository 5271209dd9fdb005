package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A lock object under {@code locks/}: backups hold a shared lock, gc an exclusive one, so gc never deletes a
 * chunk that a running backup has just reused (restic's model). A holder rewrites its lock every
 * {@link #REFRESH}; a lock not refreshed for {@link #STALE}, or one taken where this process runs (this host, boot and
 * process namespace: {@link #MACHINE}) by a process that is gone, belongs to a process that died and is ignored.
 * Lock objects are sealed like every other object but the config, always under data-key generation 0 (the config's
 * key), so that a process that opened the vault before a rotation still reads the locks of one that opened it after.
 */
public final class VaultLock {
  public static final String PREFIX = "locks/";
  static final Duration REFRESH = Duration.ofMinutes(2);
  static final Duration STALE = Duration.ofMinutes(10);

  /**
   * The locks this process holds, let go by a shutdown hook when it is told to stop (SIGTERM, Ctrl-C): another host's
   * gc would otherwise wait for {@link #STALE}. A process killed outright leaves its lock to {@link #isStale}.
   */
  private static final Set<VaultLock> HELD = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(VaultLock::releaseHeld, "vault-lock-release"));
  }

  private final Repository repo;
  private final String id;
  private final JsonObject info;
  private long timer = -1;

  private VaultLock(Repository repo, String id, JsonObject info) {
    this.repo = repo;
    this.id = id;
    this.info = info;
  }

  /** A shared lock for a backup; fails while gc holds the vault. */
  public static Future<VaultLock> shared(Repository repo, String purpose) {
    return acquire(repo, false, purpose);
  }

  /** An exclusive lock for gc; fails while any backup or other gc holds the vault. */
  public static Future<VaultLock> exclusive(Repository repo, String purpose) {
    return acquire(repo, true, purpose);
  }

  private static Future<VaultLock> acquire(Repository repo, boolean exclusive, String purpose) {
    VaultLock lock = new VaultLock(repo, ObjectIds.newId(), new JsonObject()
        .put("exclusive", exclusive)
        .put("purpose", purpose)
        .put("host", HOST)
        .put("machine", MACHINE)
        .put("pid", ProcessHandle.current().pid())
        .put("started", STARTED));
    return lock.conflict(exclusive)
        .compose(c -> {
          if (c != null) {
            return Future.failedFuture(c);
          }
          // Held from before the write lands: a process told to stop while the lock is being written or checked
          // again still deletes it (a stop during the second look used to leave it behind).
          HELD.add(lock);
          return lock.write().onFailure(e -> HELD.remove(lock));
        })
        // Two takers can pass the first look at once: look again now that ours is visible.
        .compose(v -> lock.conflict(exclusive))
        .compose(c -> c == null ? Future.succeededFuture(lock.startRefreshing())
            : lock.release().transform(ignored -> Future.failedFuture(c)));
  }

  /** The first live lock that conflicts with taking one of this kind, or null. */
  private Future<VaultException> conflict(boolean exclusive) {
    return repo.storage().list(PREFIX).compose(objects -> {
      List<Future<JsonObject>> others = new ArrayList<>();
      for (ObjectInfo o : objects) {
        String other = o.key().substring(PREFIX.length());
        if (!other.equals(id)) {
          others.add(read(other));
        }
      }
      return Future.join(others).transform(ignored -> {
        List<Future<Void>> cleared = new ArrayList<>();
        VaultException busy = null;
        for (Future<JsonObject> f : others) {
          JsonObject l = f.succeeded() ? f.result() : null;
          if (l == null) {
            continue;
          }
          if (isStale(l)) {
            // Cleared as it is found (restic leaves them to `unlock`), as best effort: a holder that still lives writes
            // its lock again at its next refresh, and until then ignoring the lock or deleting it is the same.
            cleared.add(repo.deleteObject(PREFIX + l.getString("id")));
          } else if (busy == null && (exclusive || l.getBoolean("exclusive", false))) {
            busy = new VaultBusyException("vault " + repo.name() + " is locked by " + l.getString("purpose")
                + " on " + l.getString("host") + " (pid " + l.getLong("pid") + ") since " + l.getString("time")
                + "; try again when it ends, or delete " + PREFIX + l.getString("id") + " if that process is gone");
          }
        }
        VaultException conflict = busy;
        return Future.join(cleared).transform(done -> Future.succeededFuture(conflict));
      });
    });
  }

  private Future<JsonObject> read(String lockId) {
    return repo.storage().get(PREFIX + lockId)
        .compose(bytes -> repo.onCpu(() -> new JsonObject(new String(repo.keys().open(bytes, 0, bytes.length, aad(lockId)),
            StandardCharsets.UTF_8)).put("id", lockId)))
        .recover(e -> e instanceof ObjectNotFoundException ? Future.succeededFuture(null) : Future.failedFuture(e));
  }

  /**
   * A lock of a process that is gone: not refreshed for {@link #STALE}, or taken where this process runs by a process
   * that no longer runs (killed, crashed), which restic tells the same way: a backup killed mid-run must not hold off gc
   * for ten minutes. Where is this host name, boot and process namespace ({@link #MACHINE}): containers that share a
   * host name (host networking) see other process ids, so a live backup in one looked dead from another, whose gc could
   * then delete what it was reusing. A process id reused since by another process is told by its start time. A lock of
   * anywhere else, or without the machine (older versions), waits for {@link #STALE}.
   */
  static boolean isStale(JsonObject lock) {
    try {
      if (Instant.parse(lock.getString("time")).isBefore(Instant.now().minus(STALE))) {
        return true;
      }
      if (!HOST.equals(lock.getString("host")) || !MACHINE.equals(lock.getString("machine")) || lock.getLong("pid") == null) {
        return false;
      }
      Optional<ProcessHandle> holder = ProcessHandle.of(lock.getLong("pid")).filter(ProcessHandle::isAlive);
      String started = lock.getString("started");
      return holder.isEmpty() || started != null && holder.get().info().startInstant()
          .map(s -> Math.abs(Duration.between(s, Instant.parse(started)).toMillis()) > 1000).orElse(false);
    } catch (RuntimeException e) {
      return true;
    }
  }

  private Future<Void> write() {
    byte[] plain = info.copy().put("time", Instant.now().toString()).encode().getBytes(StandardCharsets.UTF_8);
    // under generation 0: a process that opened the vault before a rotation must still see this lock
    return repo.onCpu(() -> repo.keys().sealWithOriginalKey(plain, 0, plain.length, aad(id)))
        .compose(sealed -> repo.storage().put(PREFIX + id, sealed));
  }

  private VaultLock startRefreshing() {
    timer = repo.vertx().setPeriodic(REFRESH.toMillis(), t -> write());
    return this;
  }

  private static void releaseHeld() {
    List<Future<Void>> releases = new ArrayList<>();
    for (VaultLock lock : HELD) {
      try {
        releases.add(lock.release());
      } catch (RuntimeException e) {
        // Vert.x already closed: nothing left to release with
      }
    }
    try {
      Future.join(releases).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // best effort while the process goes: its locks are stale once it is gone (isStale)
    }
  }

  /**
   * Names the packs the repository stored without a segment yet ({@link Repository#settleIndex}: while the lock still
   * keeps gc away), then stops refreshing and deletes the lock object; in a locked vault every version of it, or the
   * refreshes would pile up as old versions of the versioned bucket (lock objects carry no retention, so S3 lets them go).
   */
  public Future<Void> release() {
    HELD.remove(this);
    return repo.settleIndex().compose(v -> {
      if (timer >= 0) {
        repo.vertx().cancelTimer(timer);
        timer = -1;
      }
      return repo.deleteObject(PREFIX + id);
    });
  }

  private static byte[] aad(String lockId) {
    return ("lock " + lockId).getBytes(StandardCharsets.US_ASCII);
  }

  /** This host and this process's start, as a lock records them (looked up once: the host name may take a lookup). */
  static final String HOST = hostName();
  static final String STARTED = ProcessHandle.current().info().startInstant().map(Instant::toString).orElse(null);
  /**
   * Where this process's ids mean something: the kernel's boot id and this process's pid namespace on Linux (a container
   * has its own), empty where neither can be read (one namespace per host then).
   */
  static final String MACHINE = machine();

  private static String machine() {
    StringBuilder m = new StringBuilder();
    try {
      m.append(Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
      m.append(' ').append(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")));
    } catch (Exception e) {
      // not Linux, or /proc hidden: what was read, if anything
    }
    return m.toString();
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return ManagementFactory.getRuntimeMXBean().getName();
    }
  }
}
