package dev.vaultgate.vault.format;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An index segment: for each pack it names, the chunks in it and where. Written only after every pack it
 * names is stored, so a reader that finds a chunk in the index can always fetch it.
 */
public final class IndexSegmentCodec {
  private static final int MAGIC = 0x56474931; // "VGI1"

  private IndexSegmentCodec() {
  }

  public static byte[] encode(dev.vaultgate.vault.crypto.VaultKeys keys, String segmentId, List<IndexEntry> entries) {
    return encode(keys, entries, "index " + segmentId);
  }

  /** The entries of a sealed segment-form object opened under {@code associated} ({@link LossRecord}). */
  static List<IndexEntry> decodeAll(dev.vaultgate.vault.crypto.VaultKeys keys, byte[] sealed, String associated,
                                    String what) {
    List<IndexEntry> entries = new ArrayList<>();
    decode(keys, sealed, associated, what, entries::add);
    return entries;
  }

  /** Entries in a segment's form, sealed under {@code associated} (a segment's, or a {@link LossRecord}'s). */
  static byte[] encode(dev.vaultgate.vault.crypto.VaultKeys keys, List<IndexEntry> entries, String associated) {
    Map<String, List<IndexEntry>> byPack = new LinkedHashMap<>();
    for (IndexEntry e : entries) {
      byPack.computeIfAbsent(e.packId(), k -> new ArrayList<>()).add(e);
    }
    byte[] plain = BinaryCodec.encode(8 + entries.size() * 45 + byPack.size() * 20, out -> {
      out.writeInt(MAGIC);
      out.writeInt(byPack.size());
      for (Map.Entry<String, List<IndexEntry>> p : byPack.entrySet()) {
        out.write(ObjectIds.toBytes(p.getKey()));
        out.writeInt(p.getValue().size());
        for (IndexEntry e : p.getValue()) {
          BinaryCodec.writeEntry(out, e);
        }
      }
    });
    return BinaryCodec.seal(keys, plain, associated);
  }

  public static List<IndexEntry> decode(dev.vaultgate.vault.crypto.VaultKeys keys, String segmentId, byte[] sealed) {
    List<IndexEntry> entries = new ArrayList<>();
    decode(keys, segmentId, sealed, entries::add);
    return entries;
  }

  /**
   * Opens the segment and hands {@code each} its entries in order, without holding them (a merged segment has 65,536).
   * The whole segment is authenticated before the first entry is handed on; a malformed one fails after some were.
   */
  public static void decode(dev.vaultgate.vault.crypto.VaultKeys keys, String segmentId, byte[] sealed,
                            Consumer<IndexEntry> each) {
    decode(keys, sealed, "index " + segmentId, "index segment " + segmentId, each);
  }

  private static void decode(dev.vaultgate.vault.crypto.VaultKeys keys, byte[] sealed, String associated, String what,
                             Consumer<IndexEntry> each) {
    byte[] plain = BinaryCodec.open(keys, sealed, associated, what);
    BinaryCodec.decode(plain, what, in -> {
      BinaryCodec.expectMagic(in, MAGIC, what);
      int packs = in.getInt();
      for (int p = 0; p < packs; p++) {
        String packId = ObjectIds.fromBytes(BinaryCodec.bytes(in, 16), 0);
        int n = in.getInt();
        for (int i = 0; i < n; i++) {
          each.accept(BinaryCodec.readEntry(in, packId));
        }
      }
      return null;
    });
  }
}
