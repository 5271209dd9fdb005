package dev.vaultgate.vault.storage;

import io.vertx.core.Future;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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

  /**
   * Reads {@code length} bytes from {@code offset} into {@code into[0, length)}, as {@link #getRange} does but into
   * the caller's buffer, which a reader can then reuse (a file storage reads straight into it), and answers how many
   * bytes the storage returned: fewer than {@code length} means a short object or answer, which the caller reports
   * with what it knows. The buffer must not be touched until the future completes. This default copies what
   * {@link #getRange} answers.
   */
  default Future<Integer> getRangeInto(String key, long offset, int length, byte[] into) {
    return getRangeCopiedInto(this, key, offset, length, into);
  }

  /** {@link #getRangeInto} through {@code storage}'s {@link #getRange} and a copy: for storages without a better way. */
  static Future<Integer> getRangeCopiedInto(VaultStorage storage, String key, long offset, int length, byte[] into) {
    if (into.length < length) {
      return Future.failedFuture(new IllegalArgumentException(
          "a buffer of " + into.length + " bytes cannot hold " + length + " bytes of " + key));
    }
    return storage.getRange(key, offset, length).map(bytes -> {
      System.arraycopy(bytes, 0, into, 0, Math.min(length, bytes.length));
      return bytes.length;
    });
  }

  /** Size of the object, or {@link ObjectNotFoundException}. */
  Future<ObjectInfo> stat(String key);

  /** Every object whose key starts with {@code prefix}, in no particular order. */
  Future<List<ObjectInfo>> list(String prefix);

  /** Deletes the object; deleting a missing object succeeds. */
  Future<Void> delete(String key);

  // --- S3 Object Lock. A storage without it answers false to objectLockEnabled() and refuses the rest. ---

  /** Whether objects here can carry Object Lock retention and legal holds (an S3 bucket with Object Lock enabled). */
  default Future<Boolean> objectLockEnabled() {
    return Future.succeededFuture(false);
  }

  /**
   * Stores a new object that Object Lock protects from its first byte: with {@code retention} (null for none) and
   * a legal hold when {@code legalHold}. Without either it is {@link #put(String, byte[])}.
   */
  default Future<Void> put(String key, byte[] data, Retention retention, boolean legalHold) {
    return retention == null && !legalHold ? put(key, data) : Future.failedFuture(noObjectLock("write", key));
  }

  /**
   * {@link #put(String, byte[], Retention, boolean)} of {@code data[0, length)}: for a buffer its owner reuses once
   * the future completes (a pack built in place), so do not keep it past that. This default copies the bytes out and
   * goes through {@link #put(String, byte[], Retention, boolean)}, so a decorator that changes only that one still
   * sees every write; a storage that can write part of an array overrides it.
   */
  default Future<Void> put(String key, byte[] data, int length, Retention retention, boolean legalHold) {
    if (!isPrefixOf(length, data)) {
      return Future.failedFuture(new IllegalArgumentException(
          "cannot write " + length + " bytes of a " + data.length + "-byte buffer to " + key));
    }
    return put(key, length == data.length ? data : Arrays.copyOf(data, length), retention, legalHold);
  }

  /**
   * {@link #put(String, byte[], Retention, boolean)} of the first {@code length} bytes of {@code file}, streamed from
   * it: for an object too large to hold in memory (the manifest of a large disk). The file must stay as it is until
   * the future completes; the caller deletes it afterwards. A storage that cannot stream refuses it (every storage
   * and decorator of this project streams; this default is for test doubles).
   */
  default Future<Void> putFile(String key, Path file, long length, Retention retention, boolean legalHold) {
    return Future.failedFuture(new VaultStorageException("cannot write " + key + " to " + describe()
        + " from a file: this storage only takes objects in memory", false));
  }

  /** Whether {@code length} names a prefix of {@code data}: the only lengths that put accepts (it refuses others). */
  static boolean isPrefixOf(int length, byte[] data) {
    return length >= 0 && length <= data.length;
  }

  /** The object's retention and legal hold; {@link ObjectNotFoundException} when there is no object. */
  default Future<ObjectLockState> lockState(String key) {
    return Future.failedFuture(noObjectLock("read the Object Lock state of", key));
  }

  /**
   * Makes the object retained at least as long and as strictly as {@code retention}. Reads the current retention
   * first and changes nothing when it already covers the request (a retention is never shortened, nor COMPLIANCE
   * turned into GOVERNANCE). Answers whether it changed the retention.
   */
  default Future<Boolean> extendRetention(String key, Retention retention) {
    return Future.failedFuture(noObjectLock("set the retention of", key));
  }

  /** Puts a legal hold on the object, or takes it off. */
  default Future<Void> setLegalHold(String key, boolean on) {
    return Future.failedFuture(noObjectLock("set the legal hold of", key));
  }

  /**
   * Deletes the object for good, every stored version of it (with Object Lock a bucket keeps versions: a plain
   * delete only hides the object). Fails with {@link ObjectLockedException} while a retention or legal hold
   * protects a version; GOVERNANCE retention is bypassed only when {@code bypassGovernance} is set (and the
   * credentials allow it). Deleting a missing object succeeds. Without Object Lock it is {@link #delete(String)}.
   */
  default Future<Void> deleteAllVersions(String key, boolean bypassGovernance) {
    return delete(key);
  }

  // --- Storage classes (cold storage). A storage without them keeps everything in one class and refuses a move. ---

  /**
   * The storage class of every object whose key starts with {@code prefix}, by key ({@code STANDARD} when the
   * server names none): one listing, not one request per object. A storage without classes answers an empty map.
   */
  default Future<Map<String, String>> storageClasses(String prefix) {
    return Future.succeededFuture(Map.of()); // one class for everything: nothing to tell apart, nothing to list
  }

  /**
   * Moves the object into {@code storageClass} (S3: a copy onto itself with {@code x-amz-storage-class}); its bytes,
   * its retention and its legal hold stay as they are. Moving into the class it has changes nothing.
   */
  default Future<Void> changeStorageClass(String key, String storageClass) {
    return Future.failedFuture(new VaultStorageException("cannot move " + key + " to storage class " + storageClass
        + " in " + describe() + ": this storage has no storage classes (cold storage needs S3)", false));
  }

  /** Whether a GET reads the object now, or it waits in an archive class; {@link ObjectNotFoundException} when none. */
  default Future<ArchiveState> archiveState(String key) {
    return stat(key).map(info -> ArchiveState.online(ArchiveState.STANDARD));
  }

  /**
   * Asks for a readable copy of an archived object, kept {@code days} days (S3 RestoreObject). A restore already
   * running or done succeeds; an object that is not archived succeeds without a request.
   */
  default Future<Void> requestRestore(String key, int days) {
    return archiveState(key).compose(state -> state.archived() ? Future.failedFuture(new VaultStorageException(
        "cannot restore " + key + " in " + describe() + ": this storage has no archive classes", false))
        : Future.succeededFuture());
  }

  /** The failure of an Object Lock operation on a storage that has none. */
  private VaultStorageException noObjectLock(String what, String key) {
    return new VaultStorageException("cannot " + what + " " + key + " with Object Lock in " + describe()
        + ": this storage has no Object Lock (a locked vault needs an S3 bucket with Object Lock enabled)", false);
  }

  /** A human name of where this storage points, for messages: {@code s3://bucket/prefix}, {@code file:///dir}. */
  String describe();

  /** Releases clients and files; the storage is not usable afterwards. */
  @Override
  void close();
}
