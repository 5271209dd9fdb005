package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.IndexEntry;

import java.util.List;
import java.util.function.Consumer;

/**
 * A finished pack object, ready to store: the first {@code length} bytes of {@code bytes}, and the chunks it holds.
 * Once it is stored, {@link #release()} hands the array back to the assembler that built it, for its next pack.
 */
public record SealedPack(String packId, byte[] bytes, int length, List<IndexEntry> entries, Consumer<byte[]> recycler) {
  /** A pack that is the whole of {@code bytes}, whose array nobody takes back. */
  public SealedPack(String packId, byte[] bytes, List<IndexEntry> entries) {
    this(packId, bytes, bytes.length, entries, b -> { });
  }

  /** The array is no longer needed: the pack is stored (or will not be). Do not touch {@link #bytes()} after this. */
  public void release() {
    recycler.accept(bytes);
  }
}
