package dev.vaultgate.coordinator.compliance;

import java.util.List;

/** The evaluation of one control: one line per resource in its scope. */
public record ControlResult(String controlName, List<Evaluation> evaluations) {

  public static final String COMPLIANT = "COMPLIANT";
  public static final String NON_COMPLIANT = "NON_COMPLIANT";

  /** One resource's result; {@code reason} says why it is not compliant (empty when it is). */
  public record Evaluation(String resourceArn, String resourceType, String status, String reason) {}

  /** COMPLIANT when every evaluated resource is (and when none is in scope, as AWS Config says). */
  public String status() {
    return evaluations.stream().allMatch(e -> COMPLIANT.equals(e.status())) ? COMPLIANT : NON_COMPLIANT;
  }

  public long nonCompliant() {
    return evaluations.stream().filter(e -> NON_COMPLIANT.equals(e.status())).count();
  }
}
