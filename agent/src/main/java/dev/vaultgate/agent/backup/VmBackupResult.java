package dev.vaultgate.agent.backup;

import dev.vaultgate.vault.backup.BackupResult;
import java.util.List;

/**
 * What a VM backup did.
 *
 * @param changeTrackingEnabled whether this run turned CBT on (and so read in full)
 * @param warnings              what went wrong without failing the backup (a quiesced snapshot refused, a snapshot
 *                              that could not be removed)
 */
public record VmBackupResult(String backupId, String vmName, String instanceUuid, List<DiskResult> disks,
                             boolean changeTrackingEnabled, boolean quiesced, boolean snapshotRemoved, List<String> warnings) {

  /**
   * One disk.
   *
   * @param changedSince the changeId the changed areas were asked from, "*" on a full read
   * @param changeId     the snapshot's changeId, saved for the next backup
   * @param fullReason   why every area in use was read, or null
   */
  public record DiskResult(String diskName, String label, String changedSince, String changeId, String fullReason,
                           BackupResult backup) {
    public String pointId() {
      return backup.recoveryPointId();
    }
  }

  public VmBackupResult {
    disks = List.copyOf(disks);
    warnings = List.copyOf(warnings);
  }

  public long bytesRead() {
    return disks.stream().mapToLong(d -> d.backup().bytesRead()).sum();
  }

  public long bytesNew() {
    return disks.stream().mapToLong(d -> d.backup().bytesNew()).sum();
  }

  public List<String> pointIds() {
    return disks.stream().map(DiskResult::pointId).toList();
  }
}
