package dev.vaultgate.agent.backup;

/** A VM backup failed; the message names the VM, the step, and what became of the snapshot. */
public class VmBackupException extends RuntimeException {
  private final boolean retryable;

  public VmBackupException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public boolean isRetryable() {
    return retryable;
  }
}
