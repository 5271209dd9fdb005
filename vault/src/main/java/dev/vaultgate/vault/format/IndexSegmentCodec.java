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

  /**
   * A record of lost chunks ({@link ObjectKeys#lostRecord}): the entries the index stopped naming because their packs
   * were missing, in a segment's form but sealed under their own associated data, so neither passes for the other.
   */
  public static byte[] encodeLost(dev.vaultgate.vault.crypto.VaultKeys keys, String recordId, List<IndexEntry> entries) {
    return encode(keys, entries, LOST + recordId);
  }

  /** The entries of a {@link #encodeLost record of lost chunks}. */
  public static List<IndexEntry> decodeLost(dev.vaultgate.vault.crypto.VaultKeys keys, String recordId, byte[] sealed) {
    return decodeRecord(keys, sealed, LOST + recordId, "record of lost chunks " + recordId);
  }

  /** A record of damaged chunks ({@link ObjectKeys#damagedRecord}), as {@link #encodeLost}. */
  public static byte[] encodeDamaged(dev.vaultgate.vault.crypto.VaultKeys keys, String recordId, List<IndexEntry> entries) {
    return encode(keys, entries, DAMAGED + recordId);
  }

  /** The entries of a {@link #encodeDamaged record of damaged chunks}. */
  public static List<IndexEntry> decodeDamaged(dev.vaultgate.vault.crypto.VaultKeys keys, String recordId, byte[] sealed) {
    return decodeRecord(keys, sealed, DAMAGED + recordId, "record of damaged chunks " + recordId);
  }

  private static final String LOST = "lost chunks ";
  private static final String DAMAGED = "damaged chunks ";

  private static List<IndexEntry> decodeRecord(dev.vaultgate.vault.crypto.VaultKeys keys, byte[] sealed, String associated,
                                               String what) {
    List<IndexEntry> entries = new ArrayList<>();
    decode(keys, sealed, associated, what, entries::add);
    return entries;
  }

  private static byte[] encode(dev.vaultgate.vault.crypto.VaultKeys keys, List<IndexEntry> entries, String associated) {
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
