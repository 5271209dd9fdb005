/**
 * vCenter through yavijava: a pinned-certificate session, inventory, snapshots, change tracking
 * (QueryChangedDiskAreas), VM creation and datastore file access over HTTPS. yavijava blocks, so every
 * call runs on the "vsphere" worker executor and comes back as a {@code Future}; callers see only this
 * package's records and exceptions, never yavijava types.
 */
package dev.vaultgate.agent.vsphere;
