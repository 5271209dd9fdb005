package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.IndexEntry;

import java.util.List;

/** A finished pack object, ready to store, and the chunks it holds. */
public record SealedPack(String packId, byte[] bytes, List<IndexEntry> entries) {
}
