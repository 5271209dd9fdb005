package dev.vaultgate.vault.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Keeps a local copy of the objects under one prefix whose objects never change under their name (a vault's index
 * segments: immutable, each named by a random id), so that opening a remote vault again reads them from the local
 * disk. On S3 every open reads every segment, one GET per pack ever stored; with the copies it reads only those it
 * has not seen. The storage stays the truth: a copy is read only for a key the caller asks for (the caller lists the
 * storage first), and a listing of the whole prefix drops the copies of objects that are gone (gc deleted them).
 *
 * <p>A copy ends with a CRC32C of its bytes; one that does not match (a torn or damaged file) is dropped and the
 * object fetched again. What the copy holds is what the storage holds (for a vault: sealed, so a forged copy fails
 * its authentication like a forged object would). The cache is best effort: a directory that cannot be read or
 * written costs only the requests it would have saved, never an operation.
 */
public final class CachingVaultStorage extends ForwardingVaultStorage {
  static final String EXECUTOR = "vault-cache";
  private static final int CRC_BYTES = 4;
  private static final String TEMPORARY = ".tmp-";
  private static final Duration ABANDONED_AFTER = Duration.ofHours(1);

  private final Path directory;
  private final String prefix;
  private final WorkerExecutor io;

  /**
   * @param directory where the copies live, one file per object under its key; this storage's own (two storages
   *     sharing one lose only copies to each other's listings)
   * @param prefix    the keys to keep copies of, e.g. {@code index/}: objects there must never change under their name
   */
  public CachingVaultStorage(Vertx vertx, VaultStorage delegate, Path directory, String prefix) {
    super(delegate);
    if (prefix.isEmpty() || !prefix.endsWith("/")) {
      throw new IllegalArgumentException("a cached prefix ends with '/': '" + prefix + "'");
    }
    this.directory = directory.toAbsolutePath().normalize();
    this.prefix = prefix;
    this.io = vertx.createSharedWorkerExecutor(EXECUTOR);
  }

  /** The directory of one vault's copies under a cache {@code root}: {@code root/vaults/<hash of the vault's URL>}. */
  public static Path directoryFor(Path root, String vaultUrl) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(vaultUrl.getBytes(StandardCharsets.UTF_8));
      return root.resolve("vaults").resolve(HexFormat.of().formatHex(digest, 0, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JDK", e);
    }
  }

  @Override
  public Future<byte[]> get(String key) {
    Path copy = copyOf(key);
    if (copy == null) {
      return delegate.get(key);
    }
    return io.executeBlocking(() -> readCopy(copy), false)
        .compose(bytes -> bytes != null ? Future.succeededFuture(bytes)
            : delegate.get(key).compose(fetched -> io.executeBlocking(() -> {
              writeCopy(copy, fetched, fetched.length);
              return fetched;
            }, false)));
  }

  @Override
  public Future<Void> put(String key, byte[] data) {
    return afterWrite(key, data, data.length, delegate.put(key, data));
  }

  @Override
  public Future<Void> put(String key, byte[] data, Retention retention, boolean legalHold) {
    return afterWrite(key, data, data.length, delegate.put(key, data, retention, legalHold));
  }

  /** Passed through as it is (not copied out as the interface's default does): a pack built in place stays uncopied. */
  @Override
  public Future<Void> put(String key, byte[] data, int length, Retention retention, boolean legalHold) {
    return afterWrite(key, data, length, delegate.put(key, data, length, retention, legalHold));
  }

  /** Not copied (a large object is not what a cache holds): a copy of an earlier object under the key is dropped. */
  @Override
  public Future<Void> putFile(String key, Path file, long length, Retention retention, boolean legalHold) {
    return delegate.putFile(key, file, length, retention, legalHold).compose(v -> dropCopy(key));
  }

  /** Keeps a copy of what was just stored; before the future completes, while the caller's array is still as given. */
  private Future<Void> afterWrite(String key, byte[] data, int length, Future<Void> stored) {
    Path copy = copyOf(key);
    return copy == null ? stored : stored.compose(v -> io.executeBlocking(() -> {
      writeCopy(copy, data, length);
      return null;
    }, false));
  }

  @Override
  public Future<Void> delete(String key) {
    return delegate.delete(key).compose(v -> dropCopy(key));
  }

  @Override
  public Future<Void> deleteAllVersions(String key, boolean bypassGovernance) {
    return delegate.deleteAllVersions(key, bypassGovernance).compose(v -> dropCopy(key));
  }

  private Future<Void> dropCopy(String key) {
    Path copy = copyOf(key);
    return copy == null ? Future.succeededFuture() : io.executeBlocking(() -> {
      deleteQuietly(copy);
      return null;
    }, false);
  }

  /** The listing; one of the whole cached prefix also drops the copies of objects it no longer has. */
  @Override
  public Future<List<ObjectInfo>> list(String listed) {
    Future<List<ObjectInfo>> objects = delegate.list(listed);
    if (!listed.equals(prefix)) {
      return objects;
    }
    return objects.compose(all -> io.executeBlocking(() -> {
      Set<Path> kept = new HashSet<>();
      for (ObjectInfo o : all) {
        Path copy = copyOf(o.key());
        if (copy != null) {
          kept.add(copy);
        }
      }
      dropCopiesExcept(kept);
      return all;
    }, false));
  }

  @Override
  public void close() {
    try {
      io.close();
    } finally {
      super.close();
    }
  }

  /** Where the copy of {@code key} lives, or null when the key is not cached (or could name a path outside). */
  private Path copyOf(String key) {
    if (!key.startsWith(prefix) || key.length() == prefix.length() || key.contains("..") || key.contains(TEMPORARY)) {
      return null;
    }
    Path copy = directory.resolve(key).normalize();
    return copy.startsWith(directory) ? copy : null;
  }

  /** The copy's bytes, or null when there is none or it is damaged (then it is removed). */
  private static byte[] readCopy(Path copy) {
    byte[] stored;
    try {
      stored = Files.readAllBytes(copy);
    } catch (IOException e) {
      return null; // none yet, or unreadable: fetched from the storage like a missing one
    }
    int length = stored.length - CRC_BYTES;
    if (length < 0 || crc(stored, length) != ByteBuffer.wrap(stored, length, CRC_BYTES).getInt()) {
      deleteQuietly(copy);
      return null;
    }
    byte[] bytes = new byte[length];
    System.arraycopy(stored, 0, bytes, 0, length);
    return bytes;
  }

  /** Writes {@code data[0, length)} and its CRC to a temporary file, then moves it into place: never a torn copy. */
  private static void writeCopy(Path copy, byte[] data, int length) {
    Path temporary = copy.resolveSibling(copy.getFileName() + TEMPORARY + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      createPrivateDirectories(copy.getParent());
      byte[] crc = ByteBuffer.allocate(CRC_BYTES).putInt(crc(data, length)).array();
      try (var out = Files.newOutputStream(temporary)) {
        out.write(data, 0, length);
        out.write(crc);
      }
      try {
        Files.move(temporary, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, copy, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | RuntimeException e) {
      deleteQuietly(temporary); // best effort: the next read fetches the object again
    }
  }

  /**
   * Creates what is missing of {@code dir} readable by its owner only (as restic's cache): the copies are sealed, but
   * how many segments a vault has and when they were written is nobody else's business.
   */
  private static void createPrivateDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } else {
      Files.createDirectories(dir);
    }
  }

  private void dropCopiesExcept(Set<Path> kept) {
    Path root = directory.resolve(prefix);
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      files.filter(Files::isRegularFile)
          .filter(f -> !kept.contains(f) && (!f.getFileName().toString().contains(TEMPORARY) || abandoned(f)))
          .forEach(CachingVaultStorage::deleteQuietly);
    } catch (IOException | RuntimeException e) {
      // best effort: a copy left behind is never read unless the storage lists its object again
    }
  }

  /** A temporary file older than any write takes: left by a process that stopped halfway. */
  private static boolean abandoned(Path temporary) {
    try {
      return Files.getLastModifiedTime(temporary).toInstant().isBefore(Instant.now().minus(ABANDONED_AFTER));
    } catch (IOException e) {
      return false;
    }
  }

  private static int crc(byte[] data, int length) {
    CRC32C crc = new CRC32C();
    crc.update(data, 0, length);
    return (int) crc.getValue();
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // best effort, as everything here
    }
  }
}
