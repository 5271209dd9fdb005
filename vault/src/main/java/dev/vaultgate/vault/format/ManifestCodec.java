package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.VaultKeys;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Encodes a {@link Manifest} as a sealed binary object bound to its recovery point id. */
public final class ManifestCodec {
  private static final int MAGIC = 0x56474d31; // "VGM1"

  private ManifestCodec() {
  }

  public static byte[] encode(VaultKeys keys, Manifest m) {
    int hint = 256 + m.disks().stream().mapToInt(d -> d.entryCount() * 52).sum();
    byte[] plain = BinaryCodec.encode(hint, out -> {
      out.writeInt(MAGIC);
      out.writeLong(m.createdAtMillis());
      writeString(out, m.parentId() == null ? "" : m.parentId());
      writeString(out, m.metadataJson());
      out.writeInt(m.disks().size());
      byte[] id = new byte[DiskBlocks.ID];
      byte[] fp = new byte[DiskBlocks.FP];
      for (DiskBlocks d : m.disks()) {
        writeString(out, d.name());
        out.writeLong(d.size());
        out.writeInt(d.blockSize());
        out.writeInt(d.entryCount());
        long previous = -1;
        for (int i = 0; i < d.entryCount(); i++) {
          long block = d.blockAt(i);
          writeVarLong(out, block - previous);
          previous = block;
          d.chunkIdAt(i, id, 0);
          d.fingerprintAt(i, fp, 0);
          out.write(id);
          out.write(fp);
        }
      }
    });
    return BinaryCodec.seal(keys, plain, "point " + m.id());
  }

  public static Manifest decode(VaultKeys keys, String id, byte[] sealed) {
    String what = "recovery point " + id;
    byte[] plain = BinaryCodec.open(keys, sealed, "point " + id, what);
    return BinaryCodec.decode(plain, what, in -> {
      BinaryCodec.expectMagic(in, MAGIC, what);
      long created = in.readLong();
      String parent = readString(in);
      String metadata = readString(in);
      int diskCount = in.readInt();
      List<DiskBlocks> disks = new ArrayList<>(diskCount);
      byte[] chunkId = new byte[DiskBlocks.ID];
      byte[] fp = new byte[DiskBlocks.FP];
      for (int d = 0; d < diskCount; d++) {
        String name = readString(in);
        long size = in.readLong();
        int blockSize = in.readInt();
        int n = in.readInt();
        DiskBlocks.Builder b = DiskBlocks.builder(name, size, blockSize);
        long block = -1;
        for (int i = 0; i < n; i++) {
          block += readVarLong(in);
          in.readFully(chunkId);
          in.readFully(fp);
          b.add(block, chunkId, 0, fp, 0);
        }
        disks.add(b.build());
      }
      return new Manifest(id, created, parent.isEmpty() ? null : parent, metadata, disks);
    });
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > in.available()) {
      throw new CorruptObjectException("string length " + n + " exceeds the object");
    }
    return new String(in.readNBytes(n), StandardCharsets.UTF_8);
  }

  private static void writeVarLong(DataOutputStream out, long v) throws IOException {
    while ((v & ~0x7fL) != 0) {
      out.writeByte((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.writeByte((int) v);
  }

  private static long readVarLong(DataInputStream in) throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = in.readUnsignedByte();
      v |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new CorruptObjectException("varint too long");
  }
}
