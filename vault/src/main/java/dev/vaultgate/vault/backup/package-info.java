/**
 * The data path: reads a disk's blocks (all of them, or only changed extents), skips zeros and unchanged
 * blocks, names, deduplicates, compresses and seals the rest, and streams packs to the vault with bounded
 * queues; and the way back, restoring a recovery point to a file or block device. It only moves blocks:
 * format and crypto live in {@code format} and {@code crypto}.
 */
package dev.vaultgate.vault.backup;
