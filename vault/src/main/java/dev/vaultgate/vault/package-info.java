/** The vault: the on-bucket format of Vaultgate and the engine that backs disks up into it and restores them. */
package dev.vaultgate.vault;
