package dev.vaultgate.vault.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import com.sun.nio.file.ExtendedOpenOption;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * A vault in a local (or mounted) directory. Keys with '/' are subdirectories.
 *
 * <p>File I/O blocks, so it runs on the shared worker executor {@value #EXECUTOR}; the futures complete
 * on the caller's context. A put writes a temp file beside the target, fsyncs it, renames it over the
 * target and fsyncs the directory, so a crash leaves either the old object or the new one.
 */
public final class FileVaultStorage implements VaultStorage {
  /** The shared worker pool for blocking vault file I/O. */
  public static final String EXECUTOR = "vault-io";

  /** Temp files end so; list skips them and keys may not end so. */
  private static final String TEMP_SUFFIX = ".vgtmp";

  private final Path root;
  private final String where;
  private final WorkerExecutor io;
  /** Cleared when this directory's file system refuses O_DIRECT (tmpfs, some network mounts): then buffered writes only. */
  private volatile boolean directWrites = true;

  public FileVaultStorage(Vertx vertx, Path root) {
    this.root = root.toAbsolutePath().normalize();
    this.where = "file://" + this.root;
    this.io = vertx.createSharedWorkerExecutor(EXECUTOR);
  }

  @Override
  public Future<Void> put(String key, byte[] data) {
    return write(key, data, data.length);
  }

  @Override
  public Future<Void> put(String key, byte[] data, int length, Retention retention, boolean legalHold) {
    if (retention != null || legalHold || !VaultStorage.isPrefixOf(length, data)) {
      return VaultStorage.super.put(key, data, length, retention, legalHold); // refused, as a directory has no Object Lock
    }
    return write(key, data, length);
  }

  private Future<Void> write(String key, byte[] data, int length) {
    return run(StorageOp.WRITE, key, () -> {
      Path target = resolve(key);
      createParents(target.getParent());
      writeAtomically(target, temp -> {
        if (!(length >= DIRECT_MIN_BYTES && directWrites && writeDirect(temp, data, length))) {
          try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int at = 0; at < length; ) {
              at += channel.write(ByteBuffer.wrap(data, at, Math.min(IO_SLICE, length - at)));
            }
            channel.force(true);
          }
        }
      });
      return null;
    });
  }

  @Override
  public Future<Void> putFile(String key, Path file, long length, Retention retention, boolean legalHold) {
    if (retention != null || legalHold) {
      return VaultStorage.super.put(key, new byte[0], retention, legalHold); // refused, as a directory has no Object Lock
    }
    return run(StorageOp.WRITE, key, () -> {
      Path target = resolve(key);
      createParents(target.getParent());
      writeAtomically(target, temp -> {
        try (FileChannel from = FileChannel.open(file, StandardOpenOption.READ);
             FileChannel to = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
          if (from.size() < length) {
            throw StorageOp.shortFile(key, where, file, from.size(), length);
          }
          for (long at = 0; at < length; ) {
            at += from.transferTo(at, length - at, to);
          }
          to.force(true);
        }
      });
      return null;
    });
  }

  /** Fills a new file with an object's bytes and makes it durable. */
  private interface Filler {
    void fill(Path temp) throws IOException;
  }

  @Override
  public Future<byte[]> get(String key) {
    return run(StorageOp.READ, key, () -> {
      Path file = resolve(key);
      requireFile(key, file);
      return Files.readAllBytes(file);
    });
  }

  @Override
  public Future<byte[]> getRange(String key, long offset, int length) {
    if (offset < 0 || length < 0) {
      return Future.failedFuture(new IllegalArgumentException(
          "bad range of " + key + ": offset " + offset + ", length " + length));
    }
    return run(StorageOp.READ, key, () -> {
      byte[] into = new byte[length];
      readRange(key, offset, length, into);
      return into;
    });
  }

  @Override
  public Future<Integer> getRangeInto(String key, long offset, int length, byte[] into) {
    if (offset < 0 || length < 0 || into.length < length) {
      return Future.failedFuture(new IllegalArgumentException(
          "bad range of " + key + ": offset " + offset + ", length " + length + " into a buffer of " + into.length));
    }
    return run(StorageOp.READ, key, () -> {
      readRange(key, offset, length, into);
      return length;
    });
  }

  /** Reads {@code [offset, offset+length)} of the object into {@code into[0, length)}, in slices NIO buffers without allocating. */
  private void readRange(String key, long offset, int length, byte[] into) throws IOException {
    Path file = resolve(key);
    requireFile(key, file);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (offset > size - length) {
        throw rangePastEnd(key, offset, length, size);
      }
      ByteBuffer buffer = ByteBuffer.wrap(into, 0, length);
      while (buffer.position() < length) {
        buffer.limit(Math.min(length, buffer.position() + IO_SLICE));
        // Objects are immutable once renamed into place, so a short read means the file changed under us.
        if (channel.read(buffer, offset + buffer.position()) < 0) {
          throw new VaultStorageException(StorageOp.READ.message(key, where,
              "file ended at " + (offset + buffer.position()) + " while reading " + length + " bytes from " + offset),
              true);
        }
      }
    }
  }

  @Override
  public Future<ObjectInfo> stat(String key) {
    return run(StorageOp.STAT, key, () -> {
      Path file = resolve(key);
      BasicFileAttributes attributes = attributesOf(key, file);
      return new ObjectInfo(key, attributes.size());
    });
  }

  @Override
  public Future<List<ObjectInfo>> list(String prefix) {
    try {
      ObjectKeyRules.checkPrefix(prefix);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return run(StorageOp.LIST, StorageOp.listTarget(prefix), () -> {
      requireRoot();
      // Walk only the deepest directory the prefix names whole: "packs/3f" walks packs/.
      int slash = prefix.lastIndexOf('/');
      Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
      List<ObjectInfo> found = new ArrayList<>();
      if (!Files.isDirectory(start)) {
        return found;
      }
      try (Stream<Path> walk = Files.walk(start)) {
        walk.forEach(path -> {
          String name = path.getFileName().toString();
          if (name.endsWith(TEMP_SUFFIX)) {
            return;
          }
          String key = keyOf(path);
          if (!key.startsWith(prefix)) {
            return;
          }
          try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            if (attributes.isRegularFile()) {
              found.add(new ObjectInfo(key, attributes.size()));
            }
          } catch (NoSuchFileException deletedMeanwhile) {
            // A concurrent delete: the object is gone, so it is rightly not listed.
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
      return found;
    });
  }

  @Override
  public Future<Void> delete(String key) {
    return run(StorageOp.DELETE, key, () -> {
      requireRoot();
      Path file = resolve(key);
      if (Files.isDirectory(file)) {
        return null; // a directory is not an object: there is nothing to delete under this key
      }
      if (Files.deleteIfExists(file)) {
        fsyncDirectory(file.getParent());
      }
      return null;
    });
  }

  @Override
  public String describe() {
    return where;
  }

  /** The directory this vault lives in. */
  public Path root() {
    return root;
  }

  @Override
  public void close() {
    io.close();
  }

  @Override
  public String toString() {
    return "FileVaultStorage[" + where + "]";
  }

  /** Checks the key, then runs the blocking work on the I/O pool and turns its failures into storage errors. */
  private <T> Future<T> run(StorageOp op, String what, Callable<T> work) {
    if (op != StorageOp.LIST) {
      try {
        checkKey(what);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e);
      }
    }
    return io.executeBlocking(() -> {
      try {
        return work.call();
      } catch (VaultStorageException | IllegalArgumentException e) {
        throw e;
      } catch (MissingRootException e) {
        throw new StorageUnavailableException(op.message(what, where, e.getMessage()), null);
      } catch (AccessDeniedException e) {
        throw new StorageUnavailableException(op.message(what, where, "permission denied on " + e.getFile()), e);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // "a" and "a/b" cannot both be objects in a directory tree; trying again will not change that.
        throw new VaultStorageException(op.message(what, where, "another object's file or directory is in the way: "
            + e.getFile()), false, e);
      } catch (IOException e) {
        // Disk and network-filesystem hiccups may pass; RetryingVaultStorage decides how often to try.
        throw new VaultStorageException(op.message(what, where, describeIo(e)), true, e);
      }
    }, false);
  }

  private static void checkKey(String key) {
    ObjectKeyRules.checkKey(key);
    if (key.endsWith(TEMP_SUFFIX)) {
      throw new IllegalArgumentException("bad object key '" + key + "': names ending in " + TEMP_SUFFIX
          + " are reserved for temp files of " + FileVaultStorage.class.getSimpleName());
    }
  }

  private Path resolve(String key) {
    return root.resolve(key);
  }

  private String keyOf(Path path) {
    return root.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
  }

  private void requireRoot() {
    if (!Files.isDirectory(root)) {
      throw new MissingRootException("vault directory " + root + " does not exist");
    }
  }

  /** Thrown inside a blocking task; {@link #run} makes it a {@link StorageUnavailableException} naming the operation. */
  private static final class MissingRootException extends RuntimeException {
    MissingRootException(String message) {
      super(message, null, false, false);
    }
  }

  /** Missing file: the object is missing, unless the whole vault directory is. */
  private void requireFile(String key, Path file) throws IOException {
    attributesOf(key, file);
  }

  private BasicFileAttributes attributesOf(String key, Path file) throws IOException {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      if (!attributes.isRegularFile()) {
        throw new ObjectNotFoundException(key, where);
      }
      return attributes;
    } catch (NoSuchFileException e) {
      requireRoot();
      throw new ObjectNotFoundException(key, where);
    }
  }

  /** Creates the missing directories between the root and {@code dir}, each made durable in its parent. */
  private void createParents(Path dir) throws IOException {
    requireRoot();
    if (Files.isDirectory(dir)) {
      return;
    }
    createParents(dir.getParent());
    try {
      Files.createDirectory(dir);
      fsyncDirectory(dir.getParent());
    } catch (FileAlreadyExistsException raced) {
      if (!Files.isDirectory(dir)) {
        throw raced;
      }
    }
  }

  /**
   * NIO copies a heap buffer through a temporary direct buffer of the same size, cached per thread: slices of
   * 1 MiB keep that at 1 MiB per I/O thread instead of a whole 16 MiB pack (and far from -XX:MaxDirectMemorySize).
   */
  static final int IO_SLICE = 1 << 20;

  /** Objects this large (packs) are written with O_DIRECT where the file system allows it; smaller ones buffered. */
  static final int DIRECT_MIN_BYTES = 1 << 20;
  /** O_DIRECT wants the buffer address, the file position and the length aligned; 4 KiB covers 512-byte devices too. */
  private static final int DIRECT_ALIGN = 4096;
  private static final ThreadLocal<ByteBuffer> ALIGNED = ThreadLocal.withInitial(
      () -> ByteBuffer.allocateDirect(IO_SLICE + DIRECT_ALIGN).alignedSlice(DIRECT_ALIGN));

  private void writeAtomically(Path target, Filler filler) throws IOException {
    Path dir = target.getParent();
    Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", TEMP_SUFFIX);
    try {
      filler.fill(temp);
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + dir + " cannot rename atomically", e);
      }
      fsyncDirectory(dir);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Writes {@code data[0, length)} to {@code temp} with O_DIRECT, from an aligned direct buffer in 1 MiB pieces: the page
   * cache is bypassed, so the kernel neither copies the pack into fresh cache pages nor writes them back later
   * (measured: 1.76 GB of 16 MiB packs, 2.8-3.7 s of system time buffered, 0.1 s direct). The last piece is
   * padded with zeros to the alignment and the file truncated to its length. Returns false, having written
   * nothing that counts, when the file system refuses O_DIRECT; the caller then writes buffered.
   */
  private boolean writeDirect(Path temp, byte[] data, int length) throws IOException {
    FileChannel channel;
    try {
      channel = FileChannel.open(temp, Set.of(StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT));
    } catch (IOException | UnsupportedOperationException e) {
      directWrites = false;
      return false;
    }
    try (channel) {
      ByteBuffer buf = ALIGNED.get();
      long position = 0;
      for (int at = 0; at < length; ) {
        int n = Math.min(IO_SLICE, length - at);
        int padded = (n + DIRECT_ALIGN - 1) & -DIRECT_ALIGN;
        buf.clear();
        buf.put(data, at, n);
        while (buf.position() < padded) {
          buf.put((byte) 0);
        }
        buf.flip();
        while (buf.hasRemaining()) {
          try {
            position += channel.write(buf, position);
          } catch (IOException e) {
            if (position == 0 && at == 0) { // refused on the first write (alignment): this file system cannot
              directWrites = false;
              return false;
            }
            throw e;
          }
        }
        at += n;
      }
      channel.truncate(length);
      channel.force(true);
      return true;
    }
  }

  /** Makes a rename or create in {@code dir} durable (POSIX: fsync the directory). */
  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems refuse to open a directory; the rename itself already happened.
      if (!Files.isDirectory(dir)) {
        throw e;
      }
    }
  }

  private VaultStorageException rangePastEnd(String key, long offset, int length, long size) {
    return new VaultStorageException(StorageOp.READ.message(key, where,
        StorageOp.rangePastEnd(offset, length, size)), false);
  }

  private static String describeIo(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
