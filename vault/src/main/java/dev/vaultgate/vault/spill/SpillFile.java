package dev.vaultgate.vault.spill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One temporary file behind a {@link MappedByteStore}. Deleted on {@link #close()}, when its store becomes
 * unreachable (a cleaner), or at exit ({@link SpillDirectory}). Its mappings stay valid after it is closed and
 * deleted, until the buffers are collected: a reader never faults on a closed file.
 */
final class SpillFile {
  private static final Cleaner CLEANER = Cleaner.create();
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20);

  private final Path path;
  private final FileChannel channel;
  private final Cleaner.Cleanable cleanable;

  private SpillFile(Path path, FileChannel channel, Object owner) {
    this.path = path;
    this.channel = channel;
    this.cleanable = CLEANER.register(owner, new Deleter(path, channel));
  }

  /** A new empty file in {@code dir}, deleted at the latest when {@code owner} becomes unreachable. */
  static SpillFile create(Path dir, String prefix, Object owner) {
    Path path = null;
    try {
      path = Files.createTempFile(dir, prefix, ".spill");
      SpillDirectory.track(path);
      return new SpillFile(path, FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE), owner);
    } catch (IOException e) {
      if (path != null) {
        Deleter.delete(path);
      }
      throw new UncheckedIOException("cannot create a spill file in " + dir + ": " + e.getMessage(), e);
    }
  }

  Path path() {
    return path;
  }

  /**
   * Maps {@code size} bytes at {@code position}, first writing zeros there so that the disk space is taken now:
   * a full disk then fails here with an exception instead of faulting (SIGBUS) on a later write to the mapping.
   */
  MappedByteBuffer map(long position, int size) {
    try {
      ByteBuffer zeros = ZEROS.duplicate();
      for (long p = position, end = position + size; p < end; ) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), end - p));
        p += channel.write(zeros, p);
      }
      return channel.map(FileChannel.MapMode.READ_WRITE, position, size);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot grow spill file " + path + " to " + (position + size) + " bytes: "
          + e.getMessage(), e);
    }
  }

  void close() {
    cleanable.clean();
  }

  private record Deleter(Path path, FileChannel channel) implements Runnable {
    @Override
    public void run() {
      try {
        channel.close();
      } catch (IOException e) {
        // Nothing to flush: the file is scratch.
      }
      delete(path);
    }

    static void delete(Path path) {
      try {
        Files.deleteIfExists(path);
        SpillDirectory.forget(path);
      } catch (IOException e) {
        // Still mapped on a system that forbids that (Windows): the exit hook tries again.
      }
    }
  }
}
