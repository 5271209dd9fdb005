/**
 * Keeps tables that grow with the data (the chunk index, block tables) within a heap budget: byte stores
 * live in heap arrays while they fit their owner's budget and the pool it shares with its kind ({@link
 * dev.vaultgate.vault.spill.HeapPool}), and beyond that in memory-mapped temporary files, page cache that the
 * kernel writes back and evicts; and holds the temporary files of objects too large for memory ({@link
 * dev.vaultgate.vault.spill.TempFiles}). Internal to the vault engine.
 */
package dev.vaultgate.vault.spill;
