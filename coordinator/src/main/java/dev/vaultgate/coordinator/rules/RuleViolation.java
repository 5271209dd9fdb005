package dev.vaultgate.coordinator.rules;

/**
 * A value that breaks one of AWS Backup's rules; the message says which and why. A
 * {@link Kind#STATE} violation is a request that the resource's current state forbids (a
 * compliance lock past its grace time), not a bad value.
 */
public final class RuleViolation extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * What is wrong: a value (InvalidParameterValueException), the resource's state
   * (InvalidRequestException), or a hold on the resource (InvalidResourceStateException).
   */
  public enum Kind { VALUE, STATE, HELD }

  private final Kind kind;

  public RuleViolation(String message) {
    this(message, Kind.VALUE);
  }

  public RuleViolation(String message, Kind kind) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
