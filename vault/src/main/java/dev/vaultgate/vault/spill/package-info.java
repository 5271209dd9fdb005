/**
 * Keeps tables that grow with the data (the chunk index, block tables) within a heap budget: byte stores
 * live in heap arrays while they fit, and beyond that in memory-mapped temporary files, page cache that the
 * kernel writes back and evicts. Internal to the vault engine.
 */
package dev.vaultgate.vault.spill;
