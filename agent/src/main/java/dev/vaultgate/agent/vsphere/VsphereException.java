package dev.vaultgate.agent.vsphere;

/**
 * A vCenter operation failed. {@link #isRetryable()} says whether trying again later can help (vCenter
 * unreachable, a session that expired) or not (wrong password, a VM that does not exist).
 */
public class VsphereException extends RuntimeException {
  private final boolean retryable;

  public VsphereException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  public VsphereException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public boolean isRetryable() {
    return retryable;
  }
}
