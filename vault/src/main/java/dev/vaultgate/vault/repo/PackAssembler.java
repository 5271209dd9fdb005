package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.format.PackCodec;

import java.util.ArrayList;
import java.util.List;

/**
 * Gathers sealed chunk blobs into packs of about the target size. Thread-safe: CPU workers add blobs
 * concurrently; whoever fills a pack gets it back to store.
 */
public final class PackAssembler {
  private final VaultKeys keys;
  private final int targetBytes;

  private String packId = ObjectIds.newId();
  private final List<byte[]> blobs = new ArrayList<>();
  private final List<IndexEntry> entries = new ArrayList<>();
  private int bytes;

  public PackAssembler(VaultKeys keys, int targetBytes) {
    this.keys = keys;
    this.targetBytes = targetBytes;
  }

  /** Adds a blob; returns the pack it completed, or null. */
  public synchronized SealedPack add(byte[] chunkId, byte encoding, int rawLength, byte[] blob) {
    entries.add(new IndexEntry(chunkId, packId, bytes, blob.length, rawLength, encoding));
    blobs.add(blob);
    bytes += blob.length;
    return bytes >= targetBytes ? sealLocked() : null;
  }

  /** Seals what has been gathered so far; null when nothing has. */
  public synchronized SealedPack flush() {
    return entries.isEmpty() ? null : sealLocked();
  }

  private SealedPack sealLocked() {
    byte[] header = PackCodec.headerAndTrailer(keys, packId, entries);
    byte[] pack = new byte[bytes + header.length];
    int at = 0;
    for (byte[] b : blobs) {
      System.arraycopy(b, 0, pack, at, b.length);
      at += b.length;
    }
    System.arraycopy(header, 0, pack, at, header.length);
    SealedPack sealed = new SealedPack(packId, pack, List.copyOf(entries));
    packId = ObjectIds.newId();
    blobs.clear();
    entries.clear();
    bytes = 0;
    return sealed;
  }
}
