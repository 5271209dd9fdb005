package dev.vaultgate.vault.format;

/**
 * Where one chunk lies: in pack {@code packId}, {@code length} sealed bytes from {@code offset};
 * {@code rawLength} is the plaintext size and {@code encoding} one of {@link ChunkEncoding}'s.
 */
public record IndexEntry(byte[] chunkId, String packId, int offset, int length, int rawLength, byte encoding) {
}
