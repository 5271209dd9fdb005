package dev.vaultgate.appliance.bandwidth;

import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.OptionalLong;

/**
 * Paces uploads ({@code put}) to the bandwidth schedule's limit at the time of each upload; reads, lists and deletes
 * pass through. Each upload reserves its transmission time at the current rate on a virtual timeline and starts
 * when its turn comes (a Vert.x timer, never a blocked thread), so on average the gateway sends no faster than the
 * limit whatever the number of uploads in flight. Packs are tens of MiB, so the pace is even enough for a WAN link.
 */
public final class BandwidthLimitedStorage implements VaultStorage {
  private final Vertx vertx;
  private final VaultStorage delegate;
  private final BandwidthSchedule schedule;
  private final Clock clock;
  private long nextStartNanos = Long.MIN_VALUE;

  public BandwidthLimitedStorage(Vertx vertx, VaultStorage delegate, BandwidthSchedule schedule, Clock clock) {
    this.vertx = vertx;
    this.delegate = delegate;
    this.schedule = schedule;
    this.clock = clock;
  }

  @Override
  public Future<Void> put(String key, byte[] data) {
    long waitMillis = reserve(data.length);
    if (waitMillis <= 0) {
      return delegate.put(key, data);
    }
    Promise<Void> turn = Promise.promise();
    vertx.setTimer(waitMillis, t -> turn.complete());
    return turn.future().compose(v -> delegate.put(key, data));
  }

  /** Reserves {@code bytes} on the timeline; returns how long to wait before sending them. */
  synchronized long reserve(long bytes) {
    OptionalLong bits = schedule.uploadBitsPerSecondAt(ZonedDateTime.now(clock));
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
  public String describe() {
    return delegate.describe();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
