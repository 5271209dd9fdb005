package dev.vaultgate.agent.bandwidth;

import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectLockState;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Paces uploads ({@code put}) to the bandwidth schedule's limit at the time of each upload; reads, lists and deletes
 * pass through. Each upload reserves its transmission time at the current rate on a virtual timeline and starts
 * when its turn comes (a Vert.x timer, never a blocked thread), so on average the gateway sends no faster than the
 * limit whatever the number of uploads in flight. Packs are tens of MiB, so the pace is even enough for a WAN link.
 * The schedule is asked for at each upload, so a new one (the coordinator's, from a heartbeat) applies at once.
 */
public final class BandwidthLimitedStorage implements VaultStorage {
  private final Vertx vertx;
  private final VaultStorage delegate;
  private final Supplier<BandwidthSchedule> schedule;
  private final Clock clock;
  private long nextStartNanos = Long.MIN_VALUE;

  public BandwidthLimitedStorage(Vertx vertx, VaultStorage delegate, Supplier<BandwidthSchedule> schedule, Clock clock) {
    this.vertx = vertx;
    this.delegate = delegate;
    this.schedule = schedule;
    this.clock = clock;
  }

  @Override
  public Future<Void> put(String key, byte[] data) {
    return afterTurn(data.length).compose(v -> delegate.put(key, data));
  }

  @Override
  public Future<Void> put(String key, byte[] data, Retention retention, boolean legalHold) {
    return afterTurn(data.length).compose(v -> delegate.put(key, data, retention, legalHold));
  }

  private Future<Void> afterTurn(long bytes) {
    long waitMillis = reserve(bytes);
    return waitMillis <= 0 ? Future.succeededFuture() : vertx.timer(waitMillis).mapEmpty();
  }

  /** Reserves {@code bytes} on the timeline; returns how long to wait before sending them. */
  synchronized long reserve(long bytes) {
    OptionalLong bits = schedule.get().uploadBitsPerSecondAt(ZonedDateTime.now(clock));
    long now = System.nanoTime();
    if (bits.isEmpty()) {
      nextStartNanos = now;
      return 0;
    }
    long start = Math.max(now, nextStartNanos);
    long transmitNanos = (long) (bytes * 8 * 1e9 / bits.getAsLong());
    nextStartNanos = start + transmitNanos;
    return (start - now) / 1_000_000;
  }

  @Override
  public Future<byte[]> get(String key) {
    return delegate.get(key);
  }

  @Override
  public Future<byte[]> getRange(String key, long offset, int length) {
    return delegate.getRange(key, offset, length);
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
    return delegate.delete(key);
  }

  @Override
  public Future<Boolean> objectLockEnabled() {
    return delegate.objectLockEnabled();
  }

  @Override
  public Future<ObjectLockState> lockState(String key) {
    return delegate.lockState(key);
  }

  @Override
  public Future<Boolean> extendRetention(String key, Retention retention) {
    return delegate.extendRetention(key, retention);
  }

  @Override
  public Future<Void> setLegalHold(String key, boolean on) {
    return delegate.setLegalHold(key, on);
  }

  @Override
  public Future<Void> deleteAllVersions(String key, boolean bypassGovernance) {
    return delegate.deleteAllVersions(key, bypassGovernance);
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
