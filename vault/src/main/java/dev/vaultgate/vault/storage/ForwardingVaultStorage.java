package dev.vaultgate.vault.storage;

import io.vertx.core.Future;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A storage that hands every operation to another: the base of decorators that change a few operations (pace
 * uploads, record calls) and must pass all the others through, the optional ones included, rather than fall back
 * to the interface's defaults (a decorator that forgot {@code changeStorageClass} would make an S3 vault look
 * class-less).
 */
public abstract class ForwardingVaultStorage implements VaultStorage {
  protected final VaultStorage delegate;

  protected ForwardingVaultStorage(VaultStorage delegate) {
    this.delegate = delegate;
  }

  @Override
  public Future<Void> put(String key, byte[] data) {
    return delegate.put(key, data);
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
  public Future<Integer> getRangeInto(String key, long offset, int length, byte[] into) {
    return delegate.getRangeInto(key, offset, length, into);
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
  public Future<Void> put(String key, byte[] data, Retention retention, boolean legalHold) {
    return delegate.put(key, data, retention, legalHold);
  }

  @Override
  public Future<Void> putFile(String key, Path file, long length, Retention retention, boolean legalHold) {
    return delegate.putFile(key, file, length, retention, legalHold);
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
  public Future<Map<String, String>> storageClasses(String prefix) {
    return delegate.storageClasses(prefix);
  }

  @Override
  public Future<Void> changeStorageClass(String key, String storageClass) {
    return delegate.changeStorageClass(key, storageClass);
  }

  @Override
  public Future<ArchiveState> archiveState(String key) {
    return delegate.archiveState(key);
  }

  @Override
  public Future<Void> requestRestore(String key, int days) {
    return delegate.requestRestore(key, days);
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
