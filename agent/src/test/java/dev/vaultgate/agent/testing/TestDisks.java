package dev.vaultgate.agent.testing;

import dev.vaultgate.agent.disk.DiskReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/** Writes blocks into a simulated VM's disk file, and a disk reader that fails past an offset. */
public final class TestDisks {
  public static final int BLOCK = 64 * 1024;

  private TestDisks() {
  }

  /** Writes random 64 KiB blocks (seeded by {@code seed} and the block number) at the given block numbers. */
  public static void writeRandomBlocks(Path file, long seed, long... blocks) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      for (long b : blocks) {
        byte[] data = new byte[BLOCK];
        new Random(seed * 1_000_003 + b).nextBytes(data);
        ch.write(ByteBuffer.wrap(data), b * BLOCK);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes text-like (compressible) data at the given block numbers. */
  public static void writeTextBlocks(Path file, long... blocks) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      for (long b : blocks) {
        byte[] data = new byte[BLOCK];
        String text = "block " + b + " of a test disk; ";
        for (int i = 0; i < BLOCK; i++) {
          data[i] = (byte) text.charAt(i % text.length());
        }
        ch.write(ByteBuffer.wrap(data), b * BLOCK);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Zeroes the given block numbers. */
  public static void zeroBlocks(Path file, long... blocks) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      for (long b : blocks) {
        ch.write(ByteBuffer.wrap(new byte[BLOCK]), b * BLOCK);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A reader whose reads that reach past {@code cutAt} return the bytes before it and then fail, as a datastore
   * connection cut halfway: every time, so retries do not help.
   */
  public static final class CutDiskReader implements DiskReader {
    private final DiskReader delegate;
    private final long cutAt;
    private final AtomicInteger cuts = new AtomicInteger();

    public CutDiskReader(DiskReader delegate, long cutAt) {
      this.delegate = delegate;
      this.cutAt = cutAt;
    }

    @Override
    public int read(long position, byte[] buf, int off, int len) throws IOException {
      if (position + len <= cutAt) {
        return delegate.read(position, buf, off, len);
      }
      if (position < cutAt) {
        delegate.read(position, buf, off, (int) (cutAt - position));
      }
      cuts.incrementAndGet();
      throw new IOException("connection reset while reading " + delegate.describe() + " at offset " + Math.max(position, cutAt));
    }

    public int cuts() {
      return cuts.get();
    }

    @Override
    public String describe() {
      return delegate.describe();
    }

    @Override
    public void close() throws IOException {
      delegate.close();
    }
  }
}
