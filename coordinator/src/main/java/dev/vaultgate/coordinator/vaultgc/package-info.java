/**
 * What happens in vault storage after a recovery point is deleted (DeleteRecoveryPoint or its DeleteAfterDays
 * expiry): its manifests and reference lists are deleted without the vault's key ({@link
 * dev.vaultgate.coordinator.vaultgc.PointStorageDeletion}), and the vault engine's own garbage collector then frees
 * the packs no point references any more ({@link dev.vaultgate.coordinator.vaultgc.VaultGarbageCollection}), both as
 * the service acting.
 */
package dev.vaultgate.coordinator.vaultgc;
