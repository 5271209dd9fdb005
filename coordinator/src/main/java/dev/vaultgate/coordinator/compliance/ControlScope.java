package dev.vaultgate.coordinator.compliance;

import java.util.List;
import java.util.Map;

/**
 * AWS's ControlScope: which resources a control evaluates. An empty part matches all; ids match
 * the resource ARN or its last segment (AWS takes resource ids, Vaultgate's resources are ARNs).
 */
public record ControlScope(List<String> resourceIds, List<String> resourceTypes, Map<String, String> tags) {

  public static final ControlScope ALL = new ControlScope(List.of(), List.of(), Map.of());

  public boolean includes(ComplianceState.Resource r) {
    if (!resourceTypes.isEmpty() && !resourceTypes.contains(r.type())) return false;
    if (!resourceIds.isEmpty() && resourceIds.stream().noneMatch(id -> r.arn().equals(id) || r.arn().endsWith("/" + id)
        || r.arn().endsWith(":" + id))) {
      return false;
    }
    return tags.entrySet().stream().allMatch(t -> t.getValue().equals(r.tags().get(t.getKey())));
  }
}
