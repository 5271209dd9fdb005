package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.VaultKeys;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes a {@link Manifest} as a sealed binary object bound to its recovery point id.
 *
 * <p>Written through a {@link ByteBuffer} over one array rather than a data stream, as it is read ({@link BinaryCodec}):
 * a manifest holds an entry per block of every disk (46,000 for the 4 GiB bench image, millions for large disks).
 */
public final class ManifestCodec {
  private static final int MAGIC = 0x56474d31; // "VGM1"
  /** The longest block delta: a varint of a 64-bit value. */
  private static final int MAX_VARLONG = 10;

  private ManifestCodec() {
  }

  public static byte[] encode(VaultKeys keys, Manifest m) {
    byte[] parent = utf8(m.parentId() == null ? "" : m.parentId());
    byte[] metadata = utf8(m.metadataJson());
    List<byte[]> names = new ArrayList<>();
    long bound = 4 + 8 + 4 + parent.length + 4 + metadata.length + 4;
    for (DiskBlocks d : m.disks()) {
      names.add(utf8(d.name()));
      bound += 4 + names.get(names.size() - 1).length + 8 + 4 + 4
          + (long) d.entryCount() * (MAX_VARLONG + DiskBlocks.ID + DiskBlocks.FP);
    }
    if (bound > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("recovery point " + m.id() + " is too large to encode (" + bound + " bytes)");
    }
    ByteBuffer out = ByteBuffer.allocate((int) bound);
    out.putInt(MAGIC).putLong(m.createdAtMillis());
    putBytes(out, parent);
    putBytes(out, metadata);
    out.putInt(m.disks().size());
    byte[] array = out.array();
    for (int k = 0; k < m.disks().size(); k++) {
      DiskBlocks d = m.disks().get(k);
      putBytes(out, names.get(k));
      out.putLong(d.size()).putInt(d.blockSize()).putInt(d.entryCount());
      long previous = -1;
      for (int i = 0; i < d.entryCount(); i++) {
        long block = d.blockAt(i);
        putVarLong(out, block - previous);
        previous = block;
        int at = out.position();
        d.chunkIdAt(i, array, at);
        d.fingerprintAt(i, array, at + DiskBlocks.ID);
        out.position(at + DiskBlocks.ID + DiskBlocks.FP);
      }
    }
    return BinaryCodec.seal(keys, Arrays.copyOf(array, out.position()), "point " + m.id());
  }

  public static Manifest decode(VaultKeys keys, String id, byte[] sealed) {
    String what = "recovery point " + id;
    byte[] plain = BinaryCodec.open(keys, sealed, "point " + id, what);
    return BinaryCodec.decode(plain, what, in -> {
      BinaryCodec.expectMagic(in, MAGIC, what);
      long created = in.getLong();
      String parent = readString(in);
      String metadata = readString(in);
      int diskCount = in.getInt();
      List<DiskBlocks> disks = new ArrayList<>(Math.max(0, Math.min(diskCount, 64)));
      for (int d = 0; d < diskCount; d++) {
        String name = readString(in);
        long size = in.getLong();
        int blockSize = in.getInt();
        int n = in.getInt();
        DiskBlocks.Builder b = DiskBlocks.builder(name, size, blockSize);
        long block = -1;
        for (int i = 0; i < n; i++) {
          block += readVarLong(in);
          int at = in.position();
          if (in.remaining() < DiskBlocks.ID + DiskBlocks.FP) {
            throw new BufferUnderflowException();
          }
          b.add(block, plain, at, plain, at + DiskBlocks.ID); // read where they lie: no copy per entry
          in.position(at + DiskBlocks.ID + DiskBlocks.FP);
        }
        disks.add(b.build());
      }
      return new Manifest(id, created, parent.isEmpty() ? null : parent, metadata, disks);
    });
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
