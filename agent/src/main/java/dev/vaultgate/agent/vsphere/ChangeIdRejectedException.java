package dev.vaultgate.agent.vsphere;

/**
 * QueryChangedDiskAreas refused a changeId (FileFault): the disk's change tracking was reset, the id is
 * too old, or it belongs to another disk. The caller falls back to a full read.
 */
public class ChangeIdRejectedException extends VsphereException {
  public ChangeIdRejectedException(String message, Throwable cause) {
    super(message, false, cause);
  }
}
