package dev.vaultgate.vault.testing;

import dev.vaultgate.vault.storage.ForwardingVaultStorage;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.storage.VaultStorageException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Wraps a storage and injects the faults a real bucket shows: a failed put, puts failing from some point on
 * (bucket full, credentials revoked), a reply lost after the object was stored, a read cut halfway, a slow
 * answer. Counts every call per operation, so tests can tell how often a decorator above tried.
 *
 * <p>Faults are configured fluently and may change while a test runs:
 * <pre>new FaultyVaultStorage(vertx, storage).failNthPut(2, true).delay(Duration.ofMillis(50))</pre>
 * Call numbers start at 1 and count calls that reach this decorator, failed ones included.
 */
public final class FaultyVaultStorage extends ForwardingVaultStorage {

  public enum Operation { PUT, GET, GET_RANGE, STAT, LIST, DELETE }

  /** How a cut read ends. */
  public enum ReadCut {
    /** The connection breaks after the delegate answered: a retryable error, no bytes. */
    FAIL,
    /** The first half of the bytes come back as if they were all: corruption the layer above must catch. */
    TRUNCATE
  }

  private enum PutFault { FAIL_RETRYABLE, FAIL_PERMANENT, LOSE_REPLY }

  private final Vertx vertx;
  private final Map<Operation, AtomicInteger> calls = new EnumMap<>(Operation.class);
  private final AtomicInteger reads = new AtomicInteger();
  private final Map<Integer, PutFault> nthPut = new ConcurrentHashMap<>();
  private final Map<Integer, ReadCut> nthRead = new ConcurrentHashMap<>();
  private volatile int putsAllowed = Integer.MAX_VALUE;
  private volatile boolean laterPutsRetryable;
  private volatile String refusedPrefix;
  private volatile int putsUnderPrefixAllowed;
  private final AtomicInteger putsUnderPrefix = new AtomicInteger();
  private volatile int readsUncut = Integer.MAX_VALUE;
  private volatile ReadCut laterReadCut;
  private volatile long delayMs;
  private final Set<String> hidden = ConcurrentHashMap.newKeySet();

  public FaultyVaultStorage(Vertx vertx, VaultStorage delegate) {
    super(delegate);
    this.vertx = vertx;
    for (Operation op : Operation.values()) {
      calls.put(op, new AtomicInteger());
    }
  }

  /** The {@code n}th put fails without reaching the delegate: nothing is stored. */
  public FaultyVaultStorage failNthPut(int n, boolean retryable) {
    nthPut.put(n, retryable ? PutFault.FAIL_RETRYABLE : PutFault.FAIL_PERMANENT);
    return this;
  }

  /** Every put of a key under {@code prefix} ("points/") fails permanently without reaching the delegate. */
  public FaultyVaultStorage failPutsUnder(String prefix) {
    return failPutsUnder(prefix, 0);
  }

  /**
   * Every put of a key under {@code prefix} after the first {@code n} of them fails permanently without reaching the
   * delegate; puts of other keys are not counted and go through (a fault that does not depend on how concurrent
   * writes of different kinds happen to interleave).
   */
  public FaultyVaultStorage failPutsUnder(String prefix, int n) {
    putsUnderPrefix.set(0);
    putsUnderPrefixAllowed = n;
    refusedPrefix = prefix;
    return this;
  }

  /** The {@code n}th put is stored, then fails retryably as if the reply got lost on the way. */
  public FaultyVaultStorage loseNthPutReply(int n) {
    nthPut.put(n, PutFault.LOSE_REPLY);
    return this;
  }

  /** Every put after the first {@code n} (counted from the start) fails without reaching the delegate. */
  public FaultyVaultStorage failPutsAfter(int n, boolean retryable) {
    laterPutsRetryable = retryable;
    putsAllowed = n;
    return this;
  }

  /** The {@code n}th read (get and getRange counted together) is cut halfway. */
  public FaultyVaultStorage cutNthRead(int n, ReadCut how) {
    nthRead.put(n, how);
    return this;
  }

  /** Every read after the first {@code n} is cut halfway. */
  public FaultyVaultStorage cutReadsAfter(int n, ReadCut how) {
    laterReadCut = how;
    readsUncut = n;
    return this;
  }

  /** Every operation waits this long (on a Vert.x timer) before it reaches the delegate. */
  public FaultyVaultStorage delay(Duration delay) {
    delayMs = delay.toMillis();
    return this;
  }

  /** Listings leave {@code key} out (a listing that lags or is incomplete); the object itself stays readable. */
  public FaultyVaultStorage hideFromListings(String key) {
    hidden.add(key);
    return this;
  }

  /** Clears every fault and the delay; counts stay. */
  public FaultyVaultStorage heal() {
    nthPut.clear();
    nthRead.clear();
    putsAllowed = Integer.MAX_VALUE;
    readsUncut = Integer.MAX_VALUE;
    laterReadCut = null;
    refusedPrefix = null;
    delayMs = 0;
    hidden.clear();
    return this;
  }

  /** Calls of {@code op} so far, failed ones included. */
  public int calls(Operation op) {
    return calls.get(op).get();
  }

  /** Calls of get and getRange together. */
  public int reads() {
    return reads.get();
  }

  public FaultyVaultStorage resetCounts() {
    calls.values().forEach(count -> count.set(0));
    reads.set(0);
    return this;
  }

  public VaultStorage delegate() {
    return delegate;
  }

  @Override
  public Future<Void> put(String key, byte[] data) {
    return put(key, () -> delegate.put(key, data));
  }

  /** Puts with Object Lock count as puts and fail alike. */
  @Override
  public Future<Void> put(String key, byte[] data, Retention retention, boolean legalHold) {
    return put(key, () -> delegate.put(key, data, retention, legalHold));
  }

  private Future<Void> put(String key, Supplier<Future<Void>> store) {
    int n = calls.get(Operation.PUT).incrementAndGet();
    PutFault fault = nthPut.get(n);
    if (fault == null && n > putsAllowed) {
      fault = laterPutsRetryable ? PutFault.FAIL_RETRYABLE : PutFault.FAIL_PERMANENT;
    }
    if (fault == null && refusedPrefix != null && key.startsWith(refusedPrefix)
        && putsUnderPrefix.incrementAndGet() > putsUnderPrefixAllowed) {
      fault = PutFault.FAIL_PERMANENT;
    }
    PutFault chosen = fault;
    return later(() -> {
      if (chosen == null) {
        return store.get();
      }
      return switch (chosen) {
        case FAIL_RETRYABLE -> Future.failedFuture(injected("write", "to", key, "put #" + n + " failed", true));
        case FAIL_PERMANENT -> Future.failedFuture(injected("write", "to", key, "put #" + n + " refused", false));
        case LOSE_REPLY -> store.get().compose(stored ->
            Future.failedFuture(injected("write", "to", key, "reply to put #" + n + " lost after storing", true)));
      };
    });
  }

  @Override
  public Future<byte[]> get(String key) {
    count(Operation.GET);
    ReadCut cut = readCut();
    return later(() -> cut(key, cut, delegate.get(key)));
  }

  @Override
  public Future<byte[]> getRange(String key, long offset, int length) {
    count(Operation.GET_RANGE);
    ReadCut cut = readCut();
    return later(() -> cut(key, cut, delegate.getRange(key, offset, length)));
  }

  @Override
  public Future<ObjectInfo> stat(String key) {
    count(Operation.STAT);
    return later(() -> delegate.stat(key));
  }

  @Override
  public Future<List<ObjectInfo>> list(String prefix) {
    count(Operation.LIST);
    return later(() -> delegate.list(prefix).map(objects -> hidden.isEmpty() ? objects
        : objects.stream().filter(o -> !hidden.contains(o.key())).toList()));
  }

  @Override
  public Future<Void> delete(String key) {
    count(Operation.DELETE);
    return later(() -> delegate.delete(key));
  }

  // Every other operation (Object Lock, storage classes) passes straight through (ForwardingVaultStorage): faults
  // are injected into the plain operations above, and a version deletion is slowed as they are.
  @Override
  public Future<Void> deleteAllVersions(String key, boolean bypassGovernance) {
    return later(() -> delegate.deleteAllVersions(key, bypassGovernance));
  }

  /** A ranged read into a buffer is a ranged read here, so its faults and counts apply. */
  @Override
  public Future<Integer> getRangeInto(String key, long offset, int length, byte[] into) {
    return VaultStorage.getRangeCopiedInto(this, key, offset, length, into);
  }

  @Override
  public String toString() {
    return "Faulty(" + delegate + ")";
  }

  private void count(Operation op) {
    calls.get(op).incrementAndGet();
  }

  private ReadCut readCut() {
    int n = reads.incrementAndGet();
    ReadCut cut = nthRead.get(n);
    return cut != null ? cut : n > readsUncut ? laterReadCut : null;
  }

  private Future<byte[]> cut(String key, ReadCut cut, Future<byte[]> read) {
    if (cut == null) {
      return read;
    }
    return read.compose(bytes -> cut == ReadCut.TRUNCATE
        ? Future.succeededFuture(Arrays.copyOf(bytes, bytes.length / 2))
        : Future.failedFuture(injected("read", "from", key,
            "connection cut after " + bytes.length / 2 + " of " + bytes.length + " bytes", true)));
  }

  private <T> Future<T> later(Supplier<Future<T>> operation) {
    long delay = delayMs;
    if (delay <= 0) {
      return operation.get();
    }
    return vertx.timer(delay, TimeUnit.MILLISECONDS).compose(fired -> operation.get());
  }

  /** Worded like the real backends, so message assertions above hold for both. */
  private VaultStorageException injected(String verb, String preposition, String key, String what, boolean retryable) {
    return new VaultStorageException("cannot " + verb + " " + key + " " + preposition + " " + delegate.describe()
        + ": " + what + " (injected fault)", retryable);
  }
}
