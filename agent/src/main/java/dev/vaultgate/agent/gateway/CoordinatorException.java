package dev.vaultgate.agent.gateway;

/**
 * A coordinator call that failed: an error answer ({@code status} and the API's {@code error} type) or no
 * answer at all (status 0). Only the latter and 5xx are worth retrying; a 4xx says the request itself is wrong
 * or the job is no longer this gateway's.
 */
public final class CoordinatorException extends RuntimeException {
  private final int status;
  private final String type;

  public CoordinatorException(String message, int status, String type, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.type = type;
  }

  /** The HTTP status, or 0 when the coordinator did not answer. */
  public int status() {
    return status;
  }

  /** The agent API's error type ({@code LeaseNotHeld}, ...), or null. */
  public String type() {
    return type;
  }

  public boolean isRetryable() {
    return status == 0 || status >= 500 || status == 429;
  }
}
