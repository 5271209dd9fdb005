package dev.vaultgate.coordinator.wire;

/**
 * An error answered to the client in the AWS error shape: the type (e.g.
 * {@code ResourceNotFoundException}) and a message. The HTTP status is the one given, or, when
 * none is, the one the service model implies (a fault is 500, any other error 400).
 */
public final class ApiException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String type;
  private final int status;

  private ApiException(String type, String message, int status) {
    super(message, null, false, false);
    this.type = type;
    this.status = status;
  }

  /** An error whose status comes from the service model. */
  public static ApiException of(String type, String message) {
    return new ApiException(type, message, 0);
  }

  /** An error with an explicit status (authentication, protocol and framing errors). */
  public static ApiException withStatus(String type, int status, String message) {
    return new ApiException(type, message, status);
  }

  public static ApiException invalidParameter(String message) {
    return of("InvalidParameterValueException", message);
  }

  public static ApiException missingParameter(String message) {
    return of("MissingParameterValueException", message);
  }

  public static ApiException notFound(String message) {
    return of("ResourceNotFoundException", message);
  }

  public static ApiException alreadyExists(String message) {
    return of("AlreadyExistsException", message);
  }

  public static ApiException invalidRequest(String message) {
    return of("InvalidRequestException", message);
  }

  public String type() {
    return type;
  }

  /** The explicit status, or 0 when the service model decides. */
  public int status() {
    return status;
  }
}
