package dev.vaultgate.vault.testing;

import dev.vaultgate.vault.storage.ForwardingVaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;

import java.util.concurrent.atomic.AtomicLong;

/** Counts what is read of the objects under one prefix: bytes, whole reads and ranged reads. */
public final class CountingReads extends ForwardingVaultStorage {
  private final String prefix;
  public final AtomicLong bytes = new AtomicLong();
  public final AtomicLong wholeReads = new AtomicLong();
  public final AtomicLong rangedReads = new AtomicLong();

  public CountingReads(VaultStorage delegate, String prefix) {
    super(delegate);
    this.prefix = prefix;
  }

  @Override
  public Future<byte[]> get(String key) {
    return delegate.get(key).onSuccess(b -> count(key, b.length, wholeReads));
  }

  @Override
  public Future<byte[]> getRange(String key, long offset, int length) {
    return delegate.getRange(key, offset, length).onSuccess(b -> count(key, b.length, rangedReads));
  }

  @Override
  public Future<Integer> getRangeInto(String key, long offset, int length, byte[] into) {
    return delegate.getRangeInto(key, offset, length, into).onSuccess(n -> count(key, n, rangedReads));
  }

  private void count(String key, long n, AtomicLong reads) {
    if (key.startsWith(prefix)) {
      bytes.addAndGet(n);
      reads.incrementAndGet();
    }
  }
}
