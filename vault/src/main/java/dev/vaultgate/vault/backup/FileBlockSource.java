package dev.vaultgate.vault.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** An image file or a block device, read with positional reads (safe from several threads). */
public final class FileBlockSource implements BlockSource {
  private final Path path;
  private final FileChannel channel;
  private final boolean blockDevice;

  private FileBlockSource(Path path, FileChannel channel, boolean blockDevice) {
    this.path = path;
    this.channel = channel;
    this.blockDevice = blockDevice;
  }

  /** What a path is, from its mode bits (links followed). */
  enum Kind {
    FILE("image file"), BLOCK_DEVICE("block device"), DIRECTORY("directory"), CHARACTER_DEVICE("character device"),
    FIFO("FIFO"), SOCKET("socket");

    final String description;

    Kind(String description) {
      this.description = description;
    }

    static Kind of(Path path) throws IOException {
      int mode = (Integer) Files.getAttribute(path, "unix:mode");
      return switch (mode & 0170000) { // S_IFMT
        case 0100000 -> FILE;
        case 0060000 -> BLOCK_DEVICE;
        case 0040000 -> DIRECTORY;
        case 0020000 -> CHARACTER_DEVICE;
        case 0010000 -> FIFO;
        default -> SOCKET;
      };
    }
  }

  /** Opens {@code path} for reading; a missing, unreadable or unsuitable source fails with a one-line message. */
  public static FileBlockSource open(Path path) {
    try {
      Kind kind = Kind.of(path);
      if (kind != Kind.FILE && kind != Kind.BLOCK_DEVICE) {
        throw new SourceException("cannot back up " + path + ": it is a " + kind.description
            + ", not an image file or block device");
      }
      return new FileBlockSource(path, FileChannel.open(path, StandardOpenOption.READ), kind == Kind.BLOCK_DEVICE);
    } catch (NoSuchFileException e) {
      throw new SourceException("cannot read source " + path + ": no such file");
    } catch (AccessDeniedException e) {
      throw new SourceException("cannot read source " + path + ": permission denied");
    } catch (IOException e) {
      throw new SourceException("cannot read source " + path + ": " + e.getMessage());
    }
  }

  private static long rdev(Path path) throws IOException {
    Object v = Files.getAttribute(path, "unix:rdev");
    return v instanceof Long l ? l : 0;
  }

  @Override
  public long size() throws IOException {
    if (!blockDevice) {
      return channel.size();
    }
    // FileChannel.size() is 0 for block devices: Linux publishes their size in 512-byte sectors in sysfs.
    long rdev = rdev(path);
    long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
    long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
    Path sys = Path.of("/sys/dev/block/" + major + ":" + minor + "/size");
    return Long.parseLong(Files.readString(sys).strip()) * 512;
  }

  @Override
  public int read(long position, byte[] buf, int off, int len) throws IOException {
    // At most 1 MiB per call: NIO copies through a per-thread temporary direct buffer of the request's size.
    return channel.read(ByteBuffer.wrap(buf, off, Math.min(len, 1 << 20)), position);
  }

  @Override
  public int read(long position, ByteBuffer dst) throws IOException {
    // A direct buffer is filled by the kernel in one copy; a heap one would go through NIO's temporary buffer.
    if (dst.isDirect()) {
      return channel.read(dst, position);
    }
    return BlockSource.super.read(position, dst);
  }

  @Override
  public String describe() {
    return path.toString();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
