package dev.vaultgate.vault.repo;

/**
 * The settings fixed when a vault is created.
 *
 * @param blockSize bytes per block; 64 KiB by default (bench/BLOCKSIZE.md: larger blocks upload more for
 *                  scattered changes, smaller ones are no faster and double the index and block tables)
 * @param packTargetBytes a pack is sealed once it holds this many bytes (16–64 MiB)
 * @param lock the vault's lock (S3 Object Lock retention of everything a recovery point needs), or null for none
 */
public record VaultSettings(int blockSize, int packTargetBytes, RetentionLock lock) {
  public static final int DEFAULT_BLOCK_SIZE = 64 * 1024;
  public static final int DEFAULT_PACK_BYTES = 16 * 1024 * 1024;

  public VaultSettings {
    if (blockSize < 4096 || blockSize > 4 << 20 || Integer.bitCount(blockSize) != 1) {
      throw new IllegalArgumentException("block size must be a power of two from 4 KiB to 4 MiB, got " + blockSize);
    }
    if (packTargetBytes < 1 << 20 || packTargetBytes > 256 << 20) {
      throw new IllegalArgumentException("pack size must be from 1 MiB to 256 MiB, got " + packTargetBytes);
    }
  }

  /** An unlocked vault. */
  public VaultSettings(int blockSize, int packTargetBytes) {
    this(blockSize, packTargetBytes, null);
  }

  public VaultSettings withLock(RetentionLock lock) {
    return new VaultSettings(blockSize, packTargetBytes, lock);
  }

  public boolean locked() {
    return lock != null;
  }

  public static VaultSettings defaults() {
    return new VaultSettings(DEFAULT_BLOCK_SIZE, DEFAULT_PACK_BYTES);
  }
}
