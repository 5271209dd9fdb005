/**
 * The repository: opens a vault (config, keys, index), names and deduplicates chunks, assembles them into
 * packs, and stores packs, index segments and recovery points through a {@code VaultStorage}.
 */
package dev.vaultgate.vault.repo;
