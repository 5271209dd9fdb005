/**
 * Restores a VM backup: each disk from the vault to a local file (the vault engine's {@code RestoreJob}), or back to
 * vSphere as a new VM whose disks are uploaded to a datastore and whose hardware is the one the backup saved.
 */
package dev.vaultgate.agent.restore;
