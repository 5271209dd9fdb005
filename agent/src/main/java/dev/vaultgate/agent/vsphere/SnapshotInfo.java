package dev.vaultgate.agent.vsphere;

/**
 * A snapshot taken for a backup.
 *
 * @param moref    the snapshot's managed object id
 * @param vmMoref  its VM
 * @param quiesced whether the guest's file systems were quiesced
 * @param hardware the VM's hardware as the snapshot froze it; its disks carry the snapshot's changeIds and
 *                 the files that hold the snapshot's data
 */
public record SnapshotInfo(String moref, String vmMoref, String name, boolean quiesced, VmHardware hardware) {
}
