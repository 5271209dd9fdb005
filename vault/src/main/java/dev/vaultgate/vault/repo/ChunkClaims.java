package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.IndexEntry;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which of a job's workers stores a chunk: the first to claim one that the index does not hold. A chunk's claim
 * lasts until the pack holding it is stored and indexed, so no two workers seal the same chunk, in flight or not.
 * Safe for concurrent workers.
 */
public final class ChunkClaims {
  private final ChunkIndex index;
  private final Set<ByteBuffer> claimed = ConcurrentHashMap.newKeySet();

  public ChunkClaims(ChunkIndex index) {
    this.index = index;
  }

  /**
   * True when the caller must store the chunk, which is now claimed for it; false when the index holds it or
   * another worker claimed it. The index is asked again after a claim succeeds: a pack that is stored meanwhile
   * is indexed before its claims are released, so without the second look its chunks could be stored twice.
   */
  public boolean claim(byte[] id) {
    if (index.contains(id, 0)) {
      return false;
    }
    ByteBuffer key = ByteBuffer.wrap(id);
    if (!claimed.add(key)) {
      return false;
    }
    if (index.contains(id, 0)) {
      claimed.remove(key);
      return false;
    }
    return true;
  }

  /** Releases the claims of a pack's chunks, once the pack is stored and its chunks indexed. */
  public void release(List<IndexEntry> stored) {
    for (IndexEntry e : stored) {
      claimed.remove(ByteBuffer.wrap(e.chunkId()));
    }
  }
}
