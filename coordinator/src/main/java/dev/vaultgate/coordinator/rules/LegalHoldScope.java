package dev.vaultgate.coordinator.rules;

import java.time.Instant;
import java.util.List;

/**
 * Which recovery points a legal hold holds: those in one of its vaults, of one of its
 * resources, created within its date range. An empty part matches every point.
 */
public record LegalHoldScope(List<String> vaultNames, List<String> resourceArns, Instant from, Instant to) {

  public LegalHoldScope {
    vaultNames = vaultNames == null ? List.of() : List.copyOf(vaultNames);
    resourceArns = resourceArns == null ? List.of() : List.copyOf(resourceArns);
    if (from != null && to != null && from.isAfter(to)) {
      throw new RuleViolation("RecoveryPointSelection.DateRange: FromDate " + from + " is after ToDate " + to);
    }
  }

  public boolean matches(String vaultName, String resourceArn, Instant createdAt) {
    return (vaultNames.isEmpty() || vaultNames.contains(vaultName))
        && (resourceArns.isEmpty() || resourceArns.contains(resourceArn))
        && (from == null || !createdAt.isBefore(from))
        && (to == null || !createdAt.isAfter(to));
  }
}
