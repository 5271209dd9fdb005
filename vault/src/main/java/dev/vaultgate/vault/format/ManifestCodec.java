package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.VaultKeys;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes a {@link Manifest} as a sealed binary object bound to its recovery point id, in frames.
 *
 * <p>A manifest holds an entry per non-sparse block of every disk (46,000 for the 4 GiB bench image, tens of
 * millions for a large VM), so it is never sealed whole: the object is {@link #FRAMED} and then frames of about
 * {@value #FRAME_BYTES} bytes of plaintext, each {@code [u8 last][u32 length][sealed]}, sealed on its own under
 * {@code "point <id> frame <n>"} (and {@code " last"} for the final one), so that frames cannot be dropped, cut,
 * reordered or taken from another point unnoticed. A record (the header, a disk, an entry) never spans two frames:
 * joined, the frames' plaintexts are the plaintext of the first format, which sealed it whole ({@code VGM1}, still
 * read). So the object is written to and read from a stream, a frame at a time, in memory bounded whatever the disk.
 */
public final class ManifestCodec {
  private static final int MAGIC = 0x56474d31; // "VGM1": the plaintext, whole or in frames
  /** The start of a manifest in frames; a whole-sealed one starts with a random nonce or a key envelope ("VGE1"). */
  private static final byte[] FRAMED = {'V', 'G', 'M', '2', '\r', '\n', 0x1a, '\n'};
  /** A frame's header: whether it is the last (u8), then the length of its sealed bytes (u32). */
  private static final int FRAME_HEADER = 5;
  /** Plaintext bytes per frame: large enough that sealing costs nothing per frame, small enough to hold a few. */
  static final int FRAME_BYTES = 1 << 20;
  /**
   * Bytes of a manifest that hold its first frame whole (sealing adds a nonce, a tag and perhaps a key envelope): what
   * {@link #decodeHeader} needs of a point of one disk.
   */
  public static final int FIRST_FRAME_BYTES = FRAMED.length + FRAME_HEADER + FRAME_BYTES + 1024;
  /** The largest frame a reader accepts: a record of more (metadata of 64 MiB) is refused when written. */
  private static final int MAX_FRAME = 64 << 20;
  /** The longest block delta: a varint of a 64-bit value. */
  private static final int MAX_VARLONG = 10;
  private static final int MAX_ENTRY = MAX_VARLONG + DiskBlocks.ID + DiskBlocks.FP;

  private ManifestCodec() {
  }

  /** An upper bound of the encoded size of {@code m}: callers that hold it in memory decide by it. */
  public static long sizeBound(Manifest m) {
    long bound = FRAMED.length + 64L + utf8(m.metadataJson()).length + (m.parentId() == null ? 0 : m.parentId().length());
    long plain = 0;
    for (DiskBlocks d : m.disks()) {
      plain += 64 + (long) d.name().length() * 3 + (long) d.entryCount() * MAX_ENTRY;
    }
    return bound + plain + (plain / FRAME_BYTES + 2) * 64; // per frame: its header, a nonce, a tag, a key envelope
  }

  /** The sealed manifest, in memory: for manifests of small disks and for tests. */
  public static byte[] encode(VaultKeys keys, Manifest m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(sizeBound(m), FRAME_BYTES * 2L));
    try {
      encode(keys, m, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
    return out.toByteArray();
  }

  /** Writes the sealed manifest to {@code out} a frame at a time (a file, for a large disk). */
  public static void encode(VaultKeys keys, Manifest m, OutputStream out) throws IOException {
    out.write(FRAMED);
    FrameWriter frames = new FrameWriter(keys, m.id(), out);
    byte[] parent = utf8(m.parentId() == null ? "" : m.parentId());
    byte[] metadata = utf8(m.metadataJson());
    ByteBuffer b = frames.room(4 + 8 + 4 + parent.length + 4 + metadata.length + 4);
    b.putInt(MAGIC).putLong(m.createdAtMillis());
    putBytes(b, parent);
    putBytes(b, metadata);
    b.putInt(m.disks().size());
    for (DiskBlocks d : m.disks()) {
      byte[] name = utf8(d.name());
      b = frames.room(4 + name.length + 8 + 4 + 4);
      putBytes(b, name);
      b.putLong(d.size()).putInt(d.blockSize()).putInt(d.entryCount());
      long previous = -1;
      for (int i = 0; i < d.entryCount(); i++) {
        b = frames.room(MAX_ENTRY);
        long block = d.blockAt(i);
        putVarLong(b, block - previous);
        previous = block;
        int at = b.position();
        d.chunkIdAt(i, b.array(), at);
        d.fingerprintAt(i, b.array(), at + DiskBlocks.ID);
        b.position(at + DiskBlocks.ID + DiskBlocks.FP);
      }
    }
    frames.finish();
  }

  public static Manifest decode(VaultKeys keys, String id, byte[] sealed) {
    try {
      return decode(keys, id, new ByteArrayInputStream(sealed));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayInputStream does not throw
    }
  }

  /**
   * Reads a sealed manifest from {@code in} a frame at a time; the block tables spill to disk as they grow
   * ({@link DiskBlocks}), so a manifest of any size decodes in bounded memory. Fails with a {@link CorruptObjectException}
   * naming the recovery point when the object is damaged, cut short or not this point's; with an {@link IOException}
   * when {@code in} fails.
   */
  public static Manifest decode(VaultKeys keys, String id, InputStream in) throws IOException {
    String what = "recovery point " + id;
    byte[] start = in.readNBytes(FRAMED.length);
    if (Arrays.equals(start, FRAMED)) {
      return decode(id, new FrameReader(keys, id, in, what), what);
    }
    // The first format, sealed whole: read whole (written before manifests were framed)
    byte[] rest = in.readAllBytes();
    byte[] sealed = Arrays.copyOf(start, start.length + rest.length);
    System.arraycopy(rest, 0, sealed, start.length, rest.length);
    byte[] plain = BinaryCodec.open(keys, sealed, "point " + id, what);
    return decode(id, new PlainFrames() {
      private boolean given;

      @Override
      public ByteBuffer next() {
        if (given) {
          throw new BufferUnderflowException();
        }
        given = true;
        return ByteBuffer.wrap(plain);
      }

      @Override
      public void end(ByteBuffer b) {
        if (b.hasRemaining()) {
          throw new CorruptObjectException(what + " has " + b.remaining() + " unexpected trailing bytes");
        }
      }
    }, what);
  }

  /**
   * The header of a sealed manifest ({@link PointHeader}) from {@code object}, the manifest's first bytes or all of it
   * ({@code whole}): read only as far as its last disk's header, which for a point of one disk (every point a backup
   * makes) is in the first frame. Answers null when {@code object} is a prefix that ends before that (large metadata,
   * several disks, or a manifest of the first format, sealed whole): the caller then reads the whole manifest. Fails
   * as {@link #decode} does when what it reads is damaged or not this point's.
   */
  public static PointHeader decodeHeader(VaultKeys keys, String id, byte[] object, boolean whole) {
    String what = "recovery point " + id;
    boolean framed = object.length >= FRAMED.length && Arrays.equals(object, 0, FRAMED.length, FRAMED, 0, FRAMED.length);
    try {
      if (!framed) {
        if (!whole) {
          return null;
        }
        Manifest m = decode(keys, id, object);
        m.disks().forEach(DiskBlocks::close);
        return PointHeader.of(m);
      }
      InputStream in = new ByteArrayInputStream(object, FRAMED.length, object.length - FRAMED.length);
      return readHeader(id, new FrameReader(keys, id, in, what, !whole), what);
    } catch (PrefixEnded e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayInputStream does not throw
    }
  }

  /**
   * The data-key generation a stored manifest is sealed under (null: the config's own key): its first frame's, or the
   * whole object's in the first format. Every frame of a manifest is sealed under the same generation.
   */
  public static String generationOf(byte[] object) {
    int at = object.length >= FRAMED.length && Arrays.equals(object, 0, FRAMED.length, FRAMED, 0, FRAMED.length)
        ? FRAMED.length + FRAME_HEADER : 0;
    return VaultKeys.generationOf(object, at, object.length - at);
  }

  /** The records of a manifest from its frames of plaintext. */
  private static Manifest decode(String id, PlainFrames frames, String what) throws IOException {
    List<DiskBlocks> disks = new ArrayList<>();
    try {
      ByteBuffer b = frames.next();
      Head head = Head.read(b, what);
      for (int d = 0; d < head.disks(); d++) {
        b = frames.atRecord(b);
        PointHeader.DiskHeader disk = diskHeader(b);
        DiskBlocks.Builder builder = DiskBlocks.builder(disk.name(), disk.size(), disk.blockSize());
        long block = -1;
        for (int i = 0; i < disk.blocks(); i++) {
          b = frames.atRecord(b);
          block += readVarLong(b);
          int at = b.position();
          if (b.remaining() < DiskBlocks.ID + DiskBlocks.FP) {
            throw new BufferUnderflowException();
          }
          builder.add(block, b.array(), at, b.array(), at + DiskBlocks.ID); // read where they lie: no copy per entry
          b.position(at + DiskBlocks.ID + DiskBlocks.FP);
        }
        disks.add(builder.build());
      }
      frames.end(b);
      return new Manifest(id, head.created(), head.parent(), head.metadata(), disks);
    } catch (CorruptObjectException e) {
      disks.forEach(DiskBlocks::close);
      throw e.getMessage().startsWith(what) ? e : new CorruptObjectException(what + ": " + e.getMessage());
    } catch (RuntimeException e) {
      disks.forEach(DiskBlocks::close);
      throw new CorruptObjectException(what + " is truncated or malformed (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** The point's record, first in a manifest: created, parent (null when none), metadata, and how many disks follow. */
  private record Head(long created, String parent, String metadata, int disks) {
    static Head read(ByteBuffer b, String what) {
      BinaryCodec.expectMagic(b, MAGIC, what);
      long created = b.getLong();
      String parent = readString(b);
      return new Head(created, parent.isEmpty() ? null : parent, readString(b), b.getInt());
    }
  }

  /** A disk's record, before its blocks: name, size, block size, and how many blocks follow. */
  private static PointHeader.DiskHeader diskHeader(ByteBuffer b) {
    return new PointHeader.DiskHeader(readString(b), b.getLong(), b.getInt(), b.getInt());
  }

  /** The header records of a manifest, skipping the entries of every disk but the last (whose header ends it). */
  private static PointHeader readHeader(String id, PlainFrames frames, String what) throws IOException {
    try {
      ByteBuffer b = frames.next();
      Head head = Head.read(b, what);
      List<PointHeader.DiskHeader> disks = new ArrayList<>();
      for (int d = 0; d < head.disks(); d++) {
        b = frames.atRecord(b);
        PointHeader.DiskHeader disk = diskHeader(b);
        disks.add(disk);
        for (int i = 0; d < head.disks() - 1 && i < disk.blocks(); i++) {
          b = frames.atRecord(b);
          readVarLong(b);
          b.position(b.position() + DiskBlocks.ID + DiskBlocks.FP);
        }
      }
      return new PointHeader(id, head.created(), head.parent(), head.metadata(), disks);
    } catch (CorruptObjectException | PrefixEnded e) {
      throw e instanceof CorruptObjectException c && !c.getMessage().startsWith(what)
          ? new CorruptObjectException(what + ": " + c.getMessage()) : e;
    } catch (RuntimeException e) {
      throw new CorruptObjectException(what + " is truncated or malformed (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** A prefix of a manifest ended before the records wanted: not damage, a reason to read the rest. */
  private static final class PrefixEnded extends RuntimeException {
    PrefixEnded() {
      super(null, null, false, false);
    }
  }

  private static String aad(String id, int frame, boolean last) {
    return "point " + id + " frame " + frame + (last ? " last" : "");
  }

  /** Fills frames of plaintext and writes each sealed; a record goes whole into one frame. */
  private static final class FrameWriter {
    private final VaultKeys keys;
    private final String id;
    private final OutputStream out;
    private ByteBuffer frame = ByteBuffer.allocate(FRAME_BYTES);
    private int written;

    FrameWriter(VaultKeys keys, String id, OutputStream out) {
      this.keys = keys;
      this.id = id;
      this.out = out;
    }

    /** The frame to put a record of at most {@code bytes} in: this one, or the next when it has no room left. */
    ByteBuffer room(int bytes) throws IOException {
      if (bytes > MAX_FRAME) {
        throw new IllegalArgumentException("recovery point " + id + " has a record of " + bytes
            + " bytes (metadata or a disk name), more than the " + MAX_FRAME + " a manifest allows");
      }
      if (frame.remaining() < bytes) {
        flush(false);
        if (frame.capacity() < bytes) {
          frame = ByteBuffer.allocate(bytes);
        }
      }
      return frame;
    }

    void finish() throws IOException {
      flush(true);
    }

    private void flush(boolean last) throws IOException {
      byte[] sealed = keys.seal(frame.array(), 0, frame.position(),
          aad(id, written++, last).getBytes(StandardCharsets.US_ASCII));
      out.write(ByteBuffer.allocate(FRAME_HEADER).put((byte) (last ? 1 : 0)).putInt(sealed.length).array());
      out.write(sealed);
      frame.clear();
    }
  }

  /** Where the records of a manifest come from: its frames, opened, in order. */
  private interface PlainFrames {
    ByteBuffer next() throws IOException;

    /** Checks that {@code b} was the last frame, read to its end, and that nothing follows it. */
    void end(ByteBuffer b) throws IOException;

    /** {@code b} while a record remains in it, else the next frame. */
    default ByteBuffer atRecord(ByteBuffer b) throws IOException {
      return b.hasRemaining() ? b : next();
    }
  }

  /** Reads and opens the frames in order; each must be the next of this point, and the last must say so. */
  private static final class FrameReader implements PlainFrames {
    private final VaultKeys keys;
    private final String id;
    private final InputStream in;
    private final String what;
    private final boolean prefix;
    private int read;
    private boolean last;

    FrameReader(VaultKeys keys, String id, InputStream in, String what) {
      this(keys, id, in, what, false);
    }

    /** {@code prefix}: {@code in} holds the object's first bytes only, and ending in a frame is no damage. */
    FrameReader(VaultKeys keys, String id, InputStream in, String what, boolean prefix) {
      this.keys = keys;
      this.id = id;
      this.in = in;
      this.what = what;
      this.prefix = prefix;
    }

    @Override
    public ByteBuffer next() throws IOException {
      if (last) {
        throw new CorruptObjectException(what + " ends in its last frame before its last block");
      }
      byte[] header = in.readNBytes(FRAME_HEADER);
      if (header.length < FRAME_HEADER && prefix) {
        throw new PrefixEnded();
      }
      if (header.length < FRAME_HEADER) {
        throw new CorruptObjectException(what + " is truncated: it ends before its last frame (" + read + " read)");
      }
      ByteBuffer h = ByteBuffer.wrap(header);
      int flag = h.get();
      int length = h.getInt();
      if ((flag & ~1) != 0 || length <= 0 || length > MAX_FRAME + 1024) {
        throw new CorruptObjectException(what + " has a damaged header in frame " + read);
      }
      byte[] sealed = in.readNBytes(length);
      if (sealed.length < length && prefix) {
        throw new PrefixEnded();
      }
      if (sealed.length < length) {
        throw new CorruptObjectException(what + " is truncated: frame " + read + " ends early");
      }
      last = flag == 1;
      return ByteBuffer.wrap(BinaryCodec.open(keys, sealed, aad(id, read++, last), what));
    }

    @Override
    public void end(ByteBuffer b) throws IOException {
      if (b.hasRemaining() || !last) {
        throw new CorruptObjectException(what + " has " + (b.hasRemaining() ? b.remaining() + " unexpected trailing bytes"
            : "frames after its last block"));
      }
      if (in.read() >= 0) {
        throw new CorruptObjectException(what + " has unexpected bytes after its last frame");
      }
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void putBytes(ByteBuffer out, byte[] b) {
    out.putInt(b.length).put(b);
  }

  private static String readString(ByteBuffer in) {
    int n = in.getInt();
    if (n < 0 || n > in.remaining()) {
      throw new CorruptObjectException("string length " + n + " exceeds the object");
    }
    String s = new String(in.array(), in.position(), n, StandardCharsets.UTF_8);
    in.position(in.position() + n);
    return s;
  }

  private static void putVarLong(ByteBuffer out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.put((byte) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }

  private static long readVarLong(ByteBuffer in) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = in.get() & 0xff;
      v |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new CorruptObjectException("varint too long");
  }
}
