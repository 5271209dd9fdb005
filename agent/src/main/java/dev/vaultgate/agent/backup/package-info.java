/**
 * Backs a VMware VM up into a vault: snapshot, changed areas from CBT since the changeId the previous recovery
 * point saved, the vault engine's {@code BackupJob} per disk reading only those areas, the VM's configuration and
 * new changeIds in each point's metadata, and the snapshot removed on every path.
 */
package dev.vaultgate.agent.backup;
