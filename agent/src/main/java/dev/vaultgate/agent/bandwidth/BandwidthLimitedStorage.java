package dev.vaultgate.agent.bandwidth;

import dev.vaultgate.vault.storage.ForwardingVaultStorage;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Paces uploads ({@code put}) to the bandwidth schedule's limit at the time of each upload; every other operation
 * passes through ({@link ForwardingVaultStorage}). Each upload reserves its transmission time at the current rate on
 * a virtual timeline and starts when its turn comes (a Vert.x timer, never a blocked thread), so on average the gateway sends no faster than the
 * limit whatever the number of uploads in flight. Packs are tens of MiB, so the pace is even enough for a WAN link.
 * The schedule is asked for at each upload, so a new one (the coordinator's, from a heartbeat) applies at once.
 */
public final class BandwidthLimitedStorage extends ForwardingVaultStorage {
  private final Vertx vertx;
  private final Supplier<BandwidthSchedule> schedule;
  private final Clock clock;
  private long nextStartNanos = Long.MIN_VALUE;

  public BandwidthLimitedStorage(Vertx vertx, VaultStorage delegate, Supplier<BandwidthSchedule> schedule, Clock clock) {
    super(delegate);
    this.vertx = vertx;
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

  @Override
  public Future<Void> put(String key, byte[] data, int length, Retention retention, boolean legalHold) {
    return afterTurn(length).compose(v -> delegate.put(key, data, length, retention, legalHold));
  }

  @Override
  public Future<Void> putFile(String key, Path file, long length, Retention retention, boolean legalHold) {
    return afterTurn(length).compose(v -> delegate.putFile(key, file, length, retention, legalHold));
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
}
