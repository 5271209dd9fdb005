package dev.vaultgate.agent.restore;

/** A restore failed; the message names the backup, the target VM and the step. */
public class VmRestoreException extends RuntimeException {
  public VmRestoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
