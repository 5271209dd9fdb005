package dev.vaultgate.vault.storage;

import io.vertx.core.Future;

import java.util.List;

/**
 * The port every vault backend implements: a flat namespace of immutable objects.
 *
 * <p>Keys are relative to the vault root ({@code config}, {@code packs/3f/3f9c...}). A put is atomic:
 * readers see the whole object or nothing. Every method completes its future on the caller's
 * context and never blocks the event loop. Failures are {@link VaultStorageException}s that name the
 * object and the operation.
 */
public interface VaultStorage extends AutoCloseable {

  /** Stores {@code data} under {@code key}, replacing any previous object. The array is not copied: do not change it. */
  Future<Void> put(String key, byte[] data);

  /** Reads the whole object; fails with {@link ObjectNotFoundException} when there is none. */
  Future<byte[]> get(String key);

  /** Reads {@code length} bytes from {@code offset}; fails when the object is shorter. */
  Future<byte[]> getRange(String key, long offset, int length);

  /** Size of the object, or {@link ObjectNotFoundException}. */
  Future<ObjectInfo> stat(String key);

  /** Every object whose key starts with {@code prefix}, in no particular order. */
  Future<List<ObjectInfo>> list(String prefix);

  /** Deletes the object; deleting a missing object succeeds. */
  Future<Void> delete(String key);

  /** A human name of where this storage points, for messages: {@code s3://bucket/prefix}, {@code file:///dir}. */
  String describe();

  /** Releases clients and files; the storage is not usable afterwards. */
  @Override
  void close();
}
