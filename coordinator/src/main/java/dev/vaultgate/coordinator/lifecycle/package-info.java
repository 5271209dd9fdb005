/**
 * Recovery point lifecycles carried out in vault storage, without the vaults' keys: a locked point whose life was
 * lengthened gets the Object Lock retention of everything it references extended, and points that reached
 * MoveToColdStorageAfterDays get their packs moved to their vault's cold storage class.
 */
package dev.vaultgate.coordinator.lifecycle;
