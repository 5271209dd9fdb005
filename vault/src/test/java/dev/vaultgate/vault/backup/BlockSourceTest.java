package dev.vaultgate.vault.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class BlockSourceTest {

  /** A source that only knows how to read into arrays, in pieces of at most 1000 bytes, as a remote reader might. */
  private static final class ArrayOnlySource implements BlockSource {
    private final byte[] disk;

    ArrayOnlySource(byte[] disk) {
      this.disk = disk;
    }

    @Override
    public long size() {
      return disk.length;
    }

    @Override
    public int read(long position, byte[] buf, int off, int len) {
      if (position >= disk.length) {
        return -1;
      }
      int n = (int) Math.min(Math.min(len, 1000), disk.length - position);
      System.arraycopy(disk, (int) position, buf, off, n);
      return n;
    }

    @Override
    public String describe() {
      return "array";
    }

    @Override
    public void close() {
    }
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(7).nextBytes(b);
    return b;
  }

  private static byte[] readAll(BlockSource source, ByteBuffer buf, long position) throws IOException {
    int start = buf.position();
    while (buf.hasRemaining()) {
      int n = source.read(position + buf.position() - start, buf);
      if (n < 0) {
        break;
      }
    }
    byte[] out = new byte[buf.position() - start];
    buf.get(start, out);
    return out;
  }

  @Test
  void byteBufferReadOfAnArrayOnlySourceFillsDirectAndHeapBuffersAndReportsTheEnd() throws IOException {
    byte[] disk = random(5000);
    try (BlockSource source = new ArrayOnlySource(disk)) {
      ByteBuffer direct = ByteBuffer.allocateDirect(3000);
      assertArrayEquals(Arrays.copyOfRange(disk, 100, 3100), readAll(source, direct, 100));
      ByteBuffer heap = ByteBuffer.allocate(3000);
      heap.position(10); // an offset into the array: written after it, nothing before
      assertArrayEquals(Arrays.copyOfRange(disk, 2500, 5000), readAll(source, heap, 2500));
      assertArrayEquals(new byte[10], Arrays.copyOfRange(heap.array(), 0, 10));
      assertEquals(-1, source.read(5000, ByteBuffer.allocateDirect(10)));
    }
  }

  @Test
  void fileSourceReadsStraightIntoADirectBuffer(@TempDir Path dir) throws IOException {
    byte[] disk = random(3 << 20);
    Path image = dir.resolve("disk.img");
    Files.write(image, disk);
    try (FileBlockSource source = FileBlockSource.open(image)) {
      ByteBuffer direct = ByteBuffer.allocateDirect(2 << 20);
      assertArrayEquals(Arrays.copyOfRange(disk, 12345, 12345 + (2 << 20)), readAll(source, direct, 12345));
      assertEquals(-1, source.read(disk.length, ByteBuffer.allocateDirect(10)));
    }
  }
}
