/**
 * Recovery point lifecycles carried out in vault storage, without the vaults' keys: a locked point whose life was
 * lengthened gets the Object Lock retention of everything it references extended, points that reached
 * MoveToColdStorageAfterDays get their packs moved to their vault's cold storage class, and the API's legal holds
 * become S3 legal holds on everything the held points of locked vaults need.
 */
package dev.vaultgate.coordinator.lifecycle;
