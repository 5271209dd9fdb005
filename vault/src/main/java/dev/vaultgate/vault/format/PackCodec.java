package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.VaultKeys;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A pack object: sealed chunk blobs back to back, then the sealed header listing them
 * (so the index can be rebuilt from packs alone), then a trailer: header length (u32) and magic "VGP1".
 */
public final class PackCodec {
  public static final int TRAILER_BYTES = 8;
  private static final int MAGIC = 0x56475031; // "VGP1"

  private PackCodec() {
  }

  /** The sealed header plus trailer, to append after the blobs. */
  public static byte[] headerAndTrailer(VaultKeys keys, String packId, List<IndexEntry> entries) {
    byte[] plain = BinaryCodec.encode(8 + entries.size() * 45, out -> {
      out.writeInt(MAGIC);
      out.writeInt(entries.size());
      for (IndexEntry e : entries) {
        BinaryCodec.writeEntry(out, e);
      }
    });
    byte[] sealed = BinaryCodec.seal(keys, plain, "pack " + packId);
    ByteBuffer b = ByteBuffer.allocate(sealed.length + TRAILER_BYTES);
    b.put(sealed).putInt(sealed.length).putInt(MAGIC);
    return b.array();
  }

  /** Length of the sealed header, read from the pack's last {@link #TRAILER_BYTES} bytes. */
  public static int headerLength(String packId, byte[] trailer) {
    if (trailer.length != TRAILER_BYTES || ByteBuffer.wrap(trailer, 4, 4).getInt() != MAGIC) {
      throw new CorruptObjectException("pack " + packId + " has no valid trailer (truncated?)");
    }
    int len = ByteBuffer.wrap(trailer, 0, 4).getInt();
    if (len < 0 || len > 64 << 20) {
      throw new CorruptObjectException("pack " + packId + " has an impossible header length " + len);
    }
    return len;
  }

  /** Opens a pack header (without its trailer). */
  public static List<IndexEntry> readHeader(VaultKeys keys, String packId, byte[] sealedHeader) {
    String what = "pack " + packId + " header";
    byte[] plain = BinaryCodec.open(keys, sealedHeader, "pack " + packId, what);
    return BinaryCodec.decode(plain, what, in -> {
      BinaryCodec.expectMagic(in, MAGIC, what);
      int n = in.getInt();
      List<IndexEntry> entries = new ArrayList<>(Math.max(0, Math.min(n, 1 << 16)));
      for (int i = 0; i < n; i++) {
        entries.add(BinaryCodec.readEntry(in, packId));
      }
      return entries;
    });
  }
}
