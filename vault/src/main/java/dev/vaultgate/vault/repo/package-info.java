/**
 * The repository: opens a vault (config, keys, index), names and deduplicates chunks, assembles them into
 * packs, and stores packs, index segments and recovery points through a {@code VaultStorage}; keeps the index in line
 * with the packs the vault holds (orphans adopted, lost packs and damaged chunks forgotten: {@code IndexRepair}).
 */
package dev.vaultgate.vault.repo;
