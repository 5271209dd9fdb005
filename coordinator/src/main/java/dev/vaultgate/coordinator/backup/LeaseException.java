package dev.vaultgate.coordinator.backup;

/**
 * A gateway acted on a job whose lease it does not hold, or too late. Retrying the same call
 * cannot help: the gateway drops the job.
 */
public final class LeaseException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Why the call was refused. */
  public enum Reason { NOT_HELD, WINDOW_PASSED, STOPPING }

  private final Reason reason;

  public LeaseException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
