package dev.vaultgate.vault.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Tries an operation again when it failed with a {@linkplain VaultStorageException#isRetryable() retryable}
 * error, after an exponential backoff with jitter on a Vert.x timer. Everything else fails at once, and the
 * last failure is passed on unchanged so its message still names the object and the cause.
 *
 * <p>Every operation of the port is idempotent (a put replaces the whole object), so all are retried.
 */
public final class RetryingVaultStorage implements VaultStorage {
  public static final int DEFAULT_ATTEMPTS = 5;
  public static final Duration DEFAULT_BASE_DELAY = Duration.ofMillis(200);
  /** No single wait grows beyond this, however many attempts are configured. */
  private static final long MAX_DELAY_MS = 30_000;

  private static final Logger log = LoggerFactory.getLogger(RetryingVaultStorage.class);

  private final Vertx vertx;
  private final VaultStorage delegate;
  private final int attempts;
  private final long baseDelayMs;

  public RetryingVaultStorage(Vertx vertx, VaultStorage delegate) {
    this(vertx, delegate, DEFAULT_ATTEMPTS, DEFAULT_BASE_DELAY);
  }

  /** @param attempts how often an operation is tried in all (1 = no retry) */
  public RetryingVaultStorage(Vertx vertx, VaultStorage delegate, int attempts, Duration baseDelay) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, not " + attempts);
    }
    if (baseDelay.isNegative()) {
      throw new IllegalArgumentException("base delay must not be negative, not " + baseDelay);
    }
    this.vertx = vertx;
    this.delegate = delegate;
    this.attempts = attempts;
    this.baseDelayMs = baseDelay.toMillis();
  }

  @Override
  public Future<Void> put(String key, byte[] data) {
    return retry(() -> delegate.put(key, data));
  }

  @Override
  public Future<byte[]> get(String key) {
    return retry(() -> delegate.get(key));
  }

  @Override
  public Future<byte[]> getRange(String key, long offset, int length) {
    return retry(() -> delegate.getRange(key, offset, length));
  }

  @Override
  public Future<Integer> getRangeInto(String key, long offset, int length, byte[] into) {
    return retry(() -> delegate.getRangeInto(key, offset, length, into));
  }

  @Override
  public Future<ObjectInfo> stat(String key) {
    return retry(() -> delegate.stat(key));
  }

  @Override
  public Future<List<ObjectInfo>> list(String prefix) {
    return retry(() -> delegate.list(prefix));
  }

  @Override
  public Future<Void> delete(String key) {
    return retry(() -> delegate.delete(key));
  }

  @Override
  public Future<Boolean> objectLockEnabled() {
    return retry(delegate::objectLockEnabled);
  }

  @Override
  public Future<Void> put(String key, byte[] data, Retention retention, boolean legalHold) {
    return retry(() -> delegate.put(key, data, retention, legalHold));
  }

  @Override
  public Future<Void> put(String key, byte[] data, int length, Retention retention, boolean legalHold) {
    return retry(() -> delegate.put(key, data, length, retention, legalHold));
  }

  /** Retried as a whole: the file stays as it is until the put completes. */
  @Override
  public Future<Void> putFile(String key, Path file, long length, Retention retention, boolean legalHold) {
    return retry(() -> delegate.putFile(key, file, length, retention, legalHold));
  }

  @Override
  public Future<ObjectLockState> lockState(String key) {
    return retry(() -> delegate.lockState(key));
  }

  @Override
  public Future<Boolean> extendRetention(String key, Retention retention) {
    // Idempotent too: the delegate reads the current retention first and never shortens it.
    return retry(() -> delegate.extendRetention(key, retention));
  }

  @Override
  public Future<Void> setLegalHold(String key, boolean on) {
    return retry(() -> delegate.setLegalHold(key, on));
  }

  @Override
  public Future<Void> deleteAllVersions(String key, boolean bypassGovernance) {
    return retry(() -> delegate.deleteAllVersions(key, bypassGovernance));
  }

  @Override
  public Future<Map<String, String>> storageClasses(String prefix) {
    return retry(() -> delegate.storageClasses(prefix));
  }

  @Override
  public Future<Void> changeStorageClass(String key, String storageClass) {
    // Idempotent: a copy onto itself into the class the object already has is skipped by the delegate.
    return retry(() -> delegate.changeStorageClass(key, storageClass));
  }

  @Override
  public Future<ArchiveState> archiveState(String key) {
    return retry(() -> delegate.archiveState(key));
  }

  @Override
  public Future<Void> requestRestore(String key, int days) {
    return retry(() -> delegate.requestRestore(key, days));
  }

  @Override
  public String describe() {
    return delegate.describe();
  }

  /** The storage this one retries. */
  public VaultStorage delegate() {
    return delegate;
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return "Retrying[" + attempts + " attempts, " + baseDelayMs + " ms](" + delegate + ")";
  }

  private <T> Future<T> retry(Supplier<Future<T>> operation) {
    return attempt(operation, 1);
  }

  private <T> Future<T> attempt(Supplier<Future<T>> operation, int attempt) {
    Future<T> result;
    try {
      result = operation.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e); // a delegate that throws instead of failing its future: treat alike
    }
    return result.recover(error -> {
      if (attempt >= attempts || !(error instanceof VaultStorageException v && v.isRetryable())) {
        return Future.failedFuture(error);
      }
      long delay = delayBefore(attempt + 1);
      log.debug("attempt {}/{} failed, trying again in {} ms: {}", attempt, attempts, delay, error.getMessage());
      return vertx.timer(Math.max(delay, 1), TimeUnit.MILLISECONDS)
          .compose(fired -> attempt(operation, attempt + 1));
    });
  }

  /**
   * Equal jitter: half of base * 2^(n-2) is fixed, the other half random, so concurrent failures
   * (a throttled bucket) spread out without any retry coming back at once.
   */
  private long delayBefore(int attempt) {
    long exponential = baseDelayMs << Math.min(attempt - 2, 20);
    long capped = Math.min(exponential, MAX_DELAY_MS);
    long half = capped / 2;
    return half + ThreadLocalRandom.current().nextLong(half + 1);
  }
}
