package dev.vaultgate.vault.testing;

import dev.vaultgate.vault.storage.ForwardingVaultStorage;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Passes every operation through and records, in order, the writes that change what S3 keeps: "put KEY",
 * "retain KEY" (only an extension that changed the retention), "hold KEY" / "release KEY", "delete KEY",
 * "destroy KEY" (every version). Tests read it to check order and count of writes.
 */
public final class RecordingVaultStorage extends ForwardingVaultStorage {
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());

  public RecordingVaultStorage(VaultStorage delegate) {
    super(delegate);
  }

  /** The events so far, oldest first. */
  public List<String> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  /** The events that start with {@code prefix} ("retain packs/"). */
  public List<String> events(String prefix) {
    return events().stream().filter(e -> e.startsWith(prefix)).toList();
  }

  public void clear() {
    events.clear();
  }

  @Override
  public Future<Void> put(String key, byte[] data) {
    return delegate.put(key, data).onSuccess(v -> events.add("put " + key));
  }

  @Override
  public Future<Void> put(String key, byte[] data, Retention retention, boolean legalHold) {
    return delegate.put(key, data, retention, legalHold).onSuccess(v -> events.add("put " + key));
  }

  @Override
  public Future<Void> delete(String key) {
    return delegate.delete(key).onSuccess(v -> events.add("delete " + key));
  }

  @Override
  public Future<Boolean> extendRetention(String key, Retention retention) {
    return delegate.extendRetention(key, retention).onSuccess(changed -> {
      if (changed) {
        events.add("retain " + key);
      }
    });
  }

  @Override
  public Future<Void> setLegalHold(String key, boolean on) {
    return delegate.setLegalHold(key, on).onSuccess(v -> events.add((on ? "hold " : "release ") + key));
  }

  @Override
  public Future<Void> deleteAllVersions(String key, boolean bypassGovernance) {
    return delegate.deleteAllVersions(key, bypassGovernance).onSuccess(v -> events.add("destroy " + key));
  }

  @Override
  public Future<Void> changeStorageClass(String key, String storageClass) {
    return delegate.changeStorageClass(key, storageClass).onSuccess(v -> events.add("class " + key + " " + storageClass));
  }

  @Override
  public Future<Void> requestRestore(String key, int days) {
    return delegate.requestRestore(key, days).onSuccess(v -> events.add("thaw " + key));
  }
}
