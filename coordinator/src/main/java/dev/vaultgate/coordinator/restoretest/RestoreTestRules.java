package dev.vaultgate.coordinator.restoretest;

import dev.vaultgate.coordinator.rules.ScheduleExpression;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Restore testing's choices as plain functions: which resources a selection takes, which recovery
 * point a plan's RecoveryPointSelection picks for one, and when a plan is due. No I/O.
 */
public final class RestoreTestRules {

  private RestoreTestRules() {}

  /** A recovery point a restore test may pick. */
  public record Candidate(String arn, String resourceArn, String vaultName, String vaultArn, Instant createdAt,
      String status) {}

  /** RecoveryPointSelection: Algorithm, IncludeVaults / ExcludeVaults (ARNs or {@code *}), SelectionWindowDays. */
  public record PointSelection(String algorithm, List<String> includeVaults, List<String> excludeVaults,
      int selectionWindowDays) {

    public PointSelection {
      if (!List.of("LATEST_WITHIN_WINDOW", "RANDOM_WITHIN_WINDOW").contains(algorithm)) {
        throw new IllegalArgumentException("RecoveryPointSelection.Algorithm must be LATEST_WITHIN_WINDOW or"
            + " RANDOM_WITHIN_WINDOW, got " + algorithm);
      }
      if (includeVaults.isEmpty()) {
        throw new IllegalArgumentException("RecoveryPointSelection.IncludeVaults must name at least one vault ARN or *");
      }
      if (selectionWindowDays < 1 || selectionWindowDays > 365) {
        throw new IllegalArgumentException("RecoveryPointSelection.SelectionWindowDays must be 1..365, got "
            + selectionWindowDays);
      }
    }
  }

  /**
   * The point to restore for one resource: completed, in an included and not excluded vault,
   * created within the window; the newest, or one at random. Empty when none qualifies.
   */
  public static Optional<Candidate> pick(List<Candidate> points, String resourceArn, PointSelection s, Instant now,
      Random random) {
    Instant from = now.minus(Duration.ofDays(s.selectionWindowDays()));
    List<Candidate> eligible = points.stream()
        .filter(p -> p.resourceArn().equals(resourceArn) && "COMPLETED".equals(p.status()))
        .filter(p -> !p.createdAt().isBefore(from) && !p.createdAt().isAfter(now))
        .filter(p -> s.includeVaults().stream().anyMatch(v -> vaultMatches(v, p)))
        .filter(p -> s.excludeVaults().stream().noneMatch(v -> vaultMatches(v, p)))
        .sorted(Comparator.comparing(Candidate::createdAt).thenComparing(Candidate::arn))
        .toList();
    if (eligible.isEmpty()) return Optional.empty();
    return Optional.of("LATEST_WITHIN_WINDOW".equals(s.algorithm()) ? eligible.get(eligible.size() - 1)
        : eligible.get(random.nextInt(eligible.size())));
  }

  private static boolean vaultMatches(String pattern, Candidate p) {
    if (pattern.equals("*")) return true;
    Pattern glob = Pattern.compile(Pattern.quote(pattern).replace("*", "\\E.*\\Q"));
    return glob.matcher(p.vaultArn()).matches() || glob.matcher(p.vaultName()).matches();
  }

  /**
   * Whether a selection takes a resource: its type is ProtectedResourceType, its ARN is one of
   * ProtectedResourceArns ({@code *} for all), and its tags meet every StringEquals and no StringNotEquals.
   */
  public static boolean selects(String resourceArn, String resourceType, Map<String, String> tags, String selectionType,
      List<String> arns, Map<String, String> stringEquals, Map<String, String> stringNotEquals) {
    if (!selectionType.equals(resourceType)) return false;
    if (!arns.contains("*") && !arns.contains(resourceArn)) return false;
    for (Map.Entry<String, String> c : stringEquals.entrySet()) {
      if (!c.getValue().equals(tags.get(tagKey(c.getKey())))) return false;
    }
    for (Map.Entry<String, String> c : stringNotEquals.entrySet()) {
      if (c.getValue().equals(tags.get(tagKey(c.getKey())))) return false;
    }
    return true;
  }

  /** Condition keys are written {@code aws:ResourceTag/key} in AWS; a bare key is taken as the tag key. */
  static String tagKey(String key) {
    return key.startsWith("aws:ResourceTag/") ? key.substring("aws:ResourceTag/".length()) : key;
  }

  /**
   * The latest scheduled time after {@code after} and at or before {@code now} whose start window
   * (StartWindowHours) is still open; null when none.
   */
  public static Instant latestDue(String expression, String timezone, Instant anchor, Instant after, Instant now,
      int startWindowHours) {
    ScheduleExpression schedule = ScheduleExpression.parse(expression);
    ZoneId zone = ScheduleExpression.zone(timezone);
    Instant windowStart = now.minus(Duration.ofHours(startWindowHours));
    Instant from = after.isBefore(windowStart) ? windowStart : after;
    Instant due = null;
    for (Instant t = schedule.next(from, zone, anchor); t != null && !t.isAfter(now); t = schedule.next(t, zone, anchor)) {
      due = t;
    }
    return due;
  }
}
