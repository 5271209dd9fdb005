package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.VaultKeys;

import java.util.List;

/**
 * The records of chunks that the index stopped naming, kept as the vault's account of the loss ({@code repo.IndexRepair},
 * {@code Repository.forgetLostPacks} and {@code forgetDamagedChunks}): {@code index/<id>.lost} for chunks whose packs
 * were found missing, {@code index/<id>.damaged} for chunks a check found unreadable in packs that are still there
 * (such a pack, left with no chunk a segment names, is not adopted again for them). Each is sealed in an index
 * segment's form, under associated data of its own, so that it passes neither for a segment nor for the other kind.
 */
public enum LossRecord {
  LOST(".lost", "lost chunks"),
  DAMAGED(".damaged", "damaged chunks");

  private final String suffix;
  private final String what;

  LossRecord(String suffix, String what) {
    this.suffix = suffix;
    this.what = what;
  }

  public String key(String recordId) {
    return ObjectKeys.INDEX + recordId + suffix;
  }

  /** The record id of a key of this kind; null for any other key. */
  public String idOf(String key) {
    return ObjectKeys.indexIdOf(key, suffix);
  }

  public byte[] encode(VaultKeys keys, String recordId, List<IndexEntry> entries) {
    return IndexSegmentCodec.encode(keys, entries, what + " " + recordId);
  }

  public List<IndexEntry> decode(VaultKeys keys, String recordId, byte[] sealed) {
    return IndexSegmentCodec.decodeAll(keys, sealed, what + " " + recordId, "record of " + what + " " + recordId);
  }
}
