/**
 * Local volumes (image files and block devices) as protected resources: discovery with lsblk, LVM detection and
 * snapshots with lvs/lvcreate (named per job, and leftovers of dead backups removed), and their backup and restore
 * through the vault engine, with what consistency each recovery point has written into its metadata.
 */
package dev.vaultgate.appliance.volumes;
