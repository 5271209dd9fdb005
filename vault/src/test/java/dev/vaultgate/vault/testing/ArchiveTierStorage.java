package dev.vaultgate.vault.testing;

import dev.vaultgate.vault.storage.ArchiveState;
import dev.vaultgate.vault.storage.ArchivedObjectException;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A port-level fake with S3's archive semantics (GLACIER, DEEP_ARCHIVE): a GET of an archived object fails until a
 * RestoreObject has been asked for and a number of HEADs later reports it done. It exists ONLY for the
 * wait-for-restore path: no real peer on this machine has archive classes (Ceph RGW's placement classes read
 * directly, s3proxy has no classes), so everything else about storage classes is tested on RGW. Objects and bytes
 * live in the wrapped (real) storage.
 */
public final class ArchiveTierStorage implements VaultStorage {
  private final VaultStorage delegate;
  private final Map<String, String> classes = new ConcurrentHashMap<>();
  /** Per archived object with a restore asked for: HEADs left before it is readable. */
  private final Map<String, AtomicInteger> restoring = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> restoreRequests = new ConcurrentHashMap<>();
  private final AtomicInteger refusedReads = new AtomicInteger();
  private volatile int headsUntilRestored;

  /** @param headsUntilRestored how many archive-state looks a restore takes before the object reads */
  public ArchiveTierStorage(VaultStorage delegate, int headsUntilRestored) {
    this.delegate = delegate;
    this.headsUntilRestored = headsUntilRestored;
  }

  /** RestoreObject calls made for {@code key}. */
  public int restoreRequests(String key) {
    AtomicInteger n = restoreRequests.get(key);
    return n == null ? 0 : n.get();
  }

  /** Every key a RestoreObject was asked for. */
  public java.util.Set<String> restoredKeys() {
    return java.util.Set.copyOf(restoreRequests.keySet());
  }

  /** GETs refused because the object was archived. */
  public int refusedReads() {
    return refusedReads.get();
  }

  private boolean unreadable(String key) {
    if (!ArchiveState.archiveClass(classes.get(key))) {
      return false;
    }
    AtomicInteger left = restoring.get(key);
    return left == null || left.get() > 0;
  }

  private <T> Future<T> refuse(String key) {
    refusedReads.incrementAndGet();
    return Future.failedFuture(new ArchivedObjectException("cannot read " + key + " from " + describe()
        + ": the object is in an archive storage class and no restore has made it readable (InvalidObjectState (HTTP 403))",
        null));
  }

  @Override
  public Future<Void> put(String key, byte[] data) {
    classes.remove(key);
    return delegate.put(key, data);
  }

  @Override
  public Future<byte[]> get(String key) {
    return unreadable(key) ? refuse(key) : delegate.get(key);
  }

  @Override
  public Future<byte[]> getRange(String key, long offset, int length) {
    return unreadable(key) ? refuse(key) : delegate.getRange(key, offset, length);
  }

  @Override
  public Future<ObjectInfo> stat(String key) {
    return delegate.stat(key);
  }

  @Override
  public Future<List<ObjectInfo>> list(String prefix) {
    return delegate.list(prefix);
  }

  @Override
  public Future<Void> delete(String key) {
    classes.remove(key);
    return delegate.delete(key);
  }

  @Override
  public Future<Map<String, String>> storageClasses(String prefix) {
    return delegate.list(prefix).map(objects -> {
      Map<String, String> out = new HashMap<>();
      for (ObjectInfo o : objects) {
        out.put(o.key(), classes.getOrDefault(o.key(), ArchiveState.STANDARD));
      }
      return out;
    });
  }

  @Override
  public Future<Void> changeStorageClass(String key, String storageClass) {
    return delegate.stat(key).map(info -> {
      classes.put(key, storageClass);
      restoring.remove(key);
      return null;
    });
  }

  @Override
  public Future<ArchiveState> archiveState(String key) {
    return delegate.stat(key).map(info -> {
      String storageClass = classes.getOrDefault(key, ArchiveState.STANDARD);
      if (!ArchiveState.archiveClass(storageClass)) {
        return ArchiveState.online(storageClass);
      }
      AtomicInteger left = restoring.get(key);
      if (left == null) {
        return new ArchiveState(storageClass, true, false, null);
      }
      if (left.get() > 0 && left.decrementAndGet() > 0) {
        return new ArchiveState(storageClass, true, true, null);
      }
      return new ArchiveState(storageClass, true, false, Instant.now().plus(Duration.ofDays(1)));
    });
  }

  @Override
  public Future<Void> requestRestore(String key, int days) {
    return delegate.stat(key).map(info -> {
      if (ArchiveState.archiveClass(classes.get(key))) {
        restoreRequests.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        restoring.putIfAbsent(key, new AtomicInteger(headsUntilRestored));
      }
      return null;
    });
  }

  @Override
  public String describe() {
    return delegate.describe();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
