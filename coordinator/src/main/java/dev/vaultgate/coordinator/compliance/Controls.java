package dev.vaultgate.coordinator.compliance;

import dev.vaultgate.coordinator.compliance.ComplianceState.Point;
import dev.vaultgate.coordinator.compliance.ComplianceState.Resource;
import dev.vaultgate.coordinator.compliance.ControlResult.Evaluation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The AWS Backup Audit Manager controls Vaultgate evaluates, with AWS's names and input
 * parameters: {@link #validate} checks a framework's control before it is stored, {@link #evaluate}
 * runs it over the coordinator's state. Pure: no I/O.
 */
public final class Controls {

  public static final String PROTECTED_BY_BACKUP_PLAN = "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN";
  public static final String PLAN_MIN_FREQUENCY_AND_RETENTION = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK";
  public static final String POINT_ENCRYPTED = "BACKUP_RECOVERY_POINT_ENCRYPTED";
  public static final String POINT_MINIMUM_RETENTION = "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK";
  public static final String POINT_MANUAL_DELETION_DISABLED = "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED";
  public static final String PROTECTED_BY_VAULT_LOCK = "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK";
  public static final String LAST_POINT_CREATED = "BACKUP_LAST_RECOVERY_POINT_CREATED";
  public static final String PROTECTED_BY_CROSS_REGION = "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION";
  public static final String PROTECTED_BY_CROSS_ACCOUNT = "BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT";
  public static final String RESTORE_TIME_MEETS_TARGET = "RESTORE_TIME_FOR_RESOURCES_MEET_TARGET";

  /** Control name -> the parameter names it takes. */
  static final Map<String, Set<String>> PARAMETERS = new LinkedHashMap<>();

  static {
    PARAMETERS.put(PROTECTED_BY_BACKUP_PLAN, Set.of());
    PARAMETERS.put(PLAN_MIN_FREQUENCY_AND_RETENTION,
        Set.of("requiredFrequencyUnit", "requiredFrequencyValue", "requiredRetentionDays"));
    PARAMETERS.put(POINT_ENCRYPTED, Set.of());
    PARAMETERS.put(POINT_MINIMUM_RETENTION, Set.of("requiredRetentionDays"));
    PARAMETERS.put(POINT_MANUAL_DELETION_DISABLED, Set.of("principalArnList"));
    PARAMETERS.put(PROTECTED_BY_VAULT_LOCK, Set.of("maxRetentionDays", "minRetentionDays"));
    PARAMETERS.put(LAST_POINT_CREATED, Set.of("recoveryPointAgeUnit", "recoveryPointAgeValue"));
    PARAMETERS.put(PROTECTED_BY_CROSS_REGION, Set.of("crossRegionList", "recoveryPointAgeUnit", "recoveryPointAgeValue"));
    PARAMETERS.put(PROTECTED_BY_CROSS_ACCOUNT, Set.of("crossAccountList", "recoveryPointAgeUnit", "recoveryPointAgeValue"));
    PARAMETERS.put(RESTORE_TIME_MEETS_TARGET, Set.of("maxRestoreTime"));
  }

  private Controls() {}

  public static Set<String> names() {
    return PARAMETERS.keySet();
  }

  /**
   * Checks a control's name and parameters; throws {@link IllegalArgumentException} with a
   * one-line message naming the control and what is wrong.
   */
  public static void validate(String controlName, Map<String, String> parameters) {
    Set<String> allowed = PARAMETERS.get(controlName);
    if (allowed == null) {
      throw new IllegalArgumentException("Unknown control name " + controlName + "; known: " + String.join(", ", names()));
    }
    for (String name : parameters.keySet()) {
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException("Control " + controlName + " has no input parameter " + name
            + (allowed.isEmpty() ? " (it takes none)" : "; it takes " + String.join(", ", new TreeSet<>(allowed))));
      }
    }
    // evaluating against an empty state parses every parameter: one place knows their rules
    evaluate(controlName, parameters, ControlScope.ALL, new ComplianceState(java.time.Instant.EPOCH, "r", "a",
        List.of(), List.of(), Map.of(), List.of(), List.of(), List.of()));
  }

  /** Evaluates a validated control over the state. */
  public static ControlResult evaluate(String controlName, Map<String, String> p, ControlScope scope, ComplianceState s) {
    List<Evaluation> out = switch (controlName) {
      case PROTECTED_BY_BACKUP_PLAN -> perResource(s, scope, r -> {
        List<String> plans = s.coveredBy().getOrDefault(r.arn(), List.of());
        return plans.isEmpty() ? "no backup plan selects this resource" : null;
      });
      case PLAN_MIN_FREQUENCY_AND_RETENTION -> planFrequency(s, p);
      case POINT_ENCRYPTED -> perPoint(s, scope, pt -> pt.encrypted() ? null : "the recovery point is not encrypted");
      case POINT_MINIMUM_RETENTION -> {
        long days = positive(controlName, p, "requiredRetentionDays", 35);
        yield perPoint(s, scope, pt -> pt.deleteAfterDays() == null || pt.deleteAfterDays() >= days ? null
            : "retained " + pt.deleteAfterDays() + " days, fewer than the required " + days);
      }
      case POINT_MANUAL_DELETION_DISABLED -> {
        list(p, "principalArnList"); // accepted; the vault's policy either denies deletion to everyone or not
        List<Evaluation> vaults = new ArrayList<>();
        for (ComplianceState.Vault v : s.vaults()) {
          vaults.add(evaluation(v.arn(), "AWS::Backup::BackupVault", v.manualDeletionDenied() ? null
              : "the vault's access policy does not deny backup:DeleteRecoveryPoint"));
        }
        yield vaults;
      }
      case PROTECTED_BY_VAULT_LOCK -> {
        Long min = optionalPositive(controlName, p, "minRetentionDays");
        Long max = optionalPositive(controlName, p, "maxRetentionDays");
        if (min != null && max != null && min > max) {
          throw new IllegalArgumentException("Control " + controlName + ": minRetentionDays " + min
              + " is greater than maxRetentionDays " + max);
        }
        Map<String, ComplianceState.Vault> vaults = new LinkedHashMap<>();
        s.vaults().forEach(v -> vaults.put(v.name(), v));
        yield perResource(s, scope, r -> {
          boolean any = pointsOf(s, r).anyMatch(pt -> {
            ComplianceState.Vault v = vaults.get(pt.vaultName());
            return v != null && v.locked()
                && (min == null || (v.lockMinRetentionDays() != null && v.lockMinRetentionDays() >= min))
                && (max == null || (v.lockMaxRetentionDays() != null && v.lockMaxRetentionDays() <= max));
          });
          return any ? null : "no recovery point in a vault locked" + lockText(min, max);
        });
      }
      case LAST_POINT_CREATED -> {
        Duration age = age(controlName, p, true);
        yield perResource(s, scope, r -> {
          Optional<Point> last = pointsOf(s, r).filter(pt -> pt.accountId().equals(s.accountId())
              && pt.region().equals(s.region())).max(Comparator.comparing(Point::createdAt));
          if (last.isEmpty()) return "no recovery point";
          return last.get().createdAt().isBefore(s.now().minus(age))
              ? "the last recovery point was created at " + last.get().createdAt() + ", more than " + text(age) + " ago" : null;
        });
      }
      case PROTECTED_BY_CROSS_REGION -> {
        List<String> regions = required(controlName, p, "crossRegionList", 3);
        Duration age = age(controlName, p, false);
        yield perResource(s, scope, r -> pointsOf(s, r).anyMatch(pt -> regions.contains(pt.region())
            && !pt.region().equals(s.region()) && (age == null || !pt.createdAt().isBefore(s.now().minus(age))))
            ? null : "no recovery point copied to " + String.join(", ", regions) + (age == null ? "" : " within " + text(age)));
      }
      case PROTECTED_BY_CROSS_ACCOUNT -> {
        List<String> accounts = required(controlName, p, "crossAccountList", 5);
        Duration age = age(controlName, p, false);
        yield perResource(s, scope, r -> pointsOf(s, r).anyMatch(pt -> accounts.contains(pt.accountId())
            && !pt.accountId().equals(s.accountId()) && (age == null || !pt.createdAt().isBefore(s.now().minus(age))))
            ? null : "no recovery point copied to account " + String.join(", ", accounts) + (age == null ? "" : " within " + text(age)));
      }
      case RESTORE_TIME_MEETS_TARGET -> {
        long minutes = positive(controlName, p, "maxRestoreTime", 720);
        List<Evaluation> rows = new ArrayList<>();
        for (Resource r : s.resources()) {
          if (!scope.includes(r)) continue;
          // resources never restored are not applicable, as in AWS
          s.restores().stream().filter(x -> x.resourceArn().equals(r.arn()) && x.completedAt() != null)
              .max(Comparator.comparing(ComplianceState.Restore::completedAt)).ifPresent(x -> {
                Duration took = Duration.between(x.createdAt(), x.completedAt());
                rows.add(evaluation(r.arn(), r.type(), took.toMinutes() <= minutes ? null
                    : "the last restore (" + x.restoreJobId() + ") took " + took.toMinutes() + " minutes, more than "
                        + minutes));
              });
        }
        yield rows;
      }
      default -> throw new IllegalArgumentException("Unknown control name " + controlName);
    };
    return new ControlResult(controlName, out);
  }

  private static List<Evaluation> planFrequency(ComplianceState s, Map<String, String> p) {
    String c = PLAN_MIN_FREQUENCY_AND_RETENTION;
    String unit = p.getOrDefault("requiredFrequencyUnit", "days");
    long value = positive(c, p, "requiredFrequencyValue", 1);
    Duration every = switch (unit) {
      case "hours" -> {
        if (!List.of(1L, 2L, 3L, 4L, 6L, 8L, 12L).contains(value)) {
          throw new IllegalArgumentException("Control " + c + ": requiredFrequencyValue for hours must be 1, 2, 3, 4, 6, 8"
              + " or 12, got " + value);
        }
        yield Duration.ofHours(value);
      }
      case "days" -> {
        if (value != 1) throw new IllegalArgumentException("Control " + c + ": requiredFrequencyValue for days must be 1, got " + value);
        yield Duration.ofDays(1);
      }
      default -> throw new IllegalArgumentException("Control " + c + ": requiredFrequencyUnit must be hours or days, got " + unit);
    };
    long days = positive(c, p, "requiredRetentionDays", 35);
    List<Evaluation> out = new ArrayList<>();
    for (ComplianceState.Plan plan : s.plans()) {
      boolean ok = plan.rules().stream().anyMatch(r -> r.interval() != null && r.interval().compareTo(every) <= 0
          && (r.deleteAfterDays() == null || r.deleteAfterDays() >= days));
      out.add(evaluation(plan.arn(), "AWS::Backup::BackupPlan", ok ? null
          : "no rule runs at least every " + text(every) + " and keeps points " + days + " days or more"));
    }
    return out;
  }

  private static java.util.stream.Stream<Point> pointsOf(ComplianceState s, Resource r) {
    return s.points().stream().filter(pt -> pt.resourceArn().equals(r.arn()) && !"DELETED".equals(pt.status()));
  }

  private static List<Evaluation> perResource(ComplianceState s, ControlScope scope,
      java.util.function.Function<Resource, String> reason) {
    List<Evaluation> out = new ArrayList<>();
    for (Resource r : s.resources()) {
      if (scope.includes(r)) out.add(evaluation(r.arn(), r.type(), reason.apply(r)));
    }
    return out;
  }

  private static List<Evaluation> perPoint(ComplianceState s, ControlScope scope,
      java.util.function.Function<Point, String> reason) {
    Map<String, Resource> byArn = new LinkedHashMap<>();
    s.resources().forEach(r -> byArn.put(r.arn(), r));
    Predicate<Point> inScope = pt -> {
      Resource r = byArn.get(pt.resourceArn());
      return r == null ? scope.equals(ControlScope.ALL) : scope.includes(r);
    };
    List<Evaluation> out = new ArrayList<>();
    for (Point pt : s.points()) {
      if ("DELETED".equals(pt.status()) || !pt.accountId().equals(s.accountId()) || !inScope.test(pt)) continue;
      out.add(evaluation(pt.arn(), "AWS::Backup::RecoveryPoint", reason.apply(pt)));
    }
    return out;
  }

  private static Evaluation evaluation(String arn, String type, String reason) {
    return new Evaluation(arn, type, reason == null ? ControlResult.COMPLIANT : ControlResult.NON_COMPLIANT,
        reason == null ? "" : reason);
  }

  /** recoveryPointAgeUnit (hours, days) and recoveryPointAgeValue; when not required, null if neither is given. */
  private static Duration age(String c, Map<String, String> p, boolean defaultOneDay) {
    if (!defaultOneDay && !p.containsKey("recoveryPointAgeUnit") && !p.containsKey("recoveryPointAgeValue")) return null;
    String unit = p.getOrDefault("recoveryPointAgeUnit", "days");
    long value = positive(c, p, "recoveryPointAgeValue", 1);
    return switch (unit) {
      case "hours" -> {
        if (value > 744) throw new IllegalArgumentException("Control " + c + ": recoveryPointAgeValue in hours must be 1..744, got " + value);
        yield Duration.ofHours(value);
      }
      case "days" -> {
        if (value > 31) throw new IllegalArgumentException("Control " + c + ": recoveryPointAgeValue in days must be 1..31, got " + value);
        yield Duration.ofDays(value);
      }
      default -> throw new IllegalArgumentException("Control " + c + ": recoveryPointAgeUnit must be hours or days, got " + unit);
    };
  }

  private static long positive(String c, Map<String, String> p, String name, long otherwise) {
    Long v = optionalPositive(c, p, name);
    return v == null ? otherwise : v;
  }

  private static Long optionalPositive(String c, Map<String, String> p, String name) {
    String text = p.get(name);
    if (text == null) return null;
    try {
      long v = Long.parseLong(text.trim());
      if (v >= 1) return v;
    } catch (NumberFormatException e) {
      // falls through
    }
    throw new IllegalArgumentException("Control " + c + ": " + name + " must be a whole number of at least 1, got '" + text + "'");
  }

  private static List<String> list(Map<String, String> p, String name) {
    String text = p.get(name);
    if (text == null || text.isBlank()) return List.of();
    return Arrays.stream(text.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  private static List<String> required(String c, Map<String, String> p, String name, int max) {
    List<String> values = list(p, name);
    if (values.isEmpty() || values.size() > max) {
      throw new IllegalArgumentException("Control " + c + ": " + name + " must list 1 to " + max + " values (comma-separated)");
    }
    return values;
  }

  private static String lockText(Long min, Long max) {
    return (min == null ? "" : " with MinRetentionDays >= " + min) + (max == null ? "" : " with MaxRetentionDays <= " + max);
  }

  private static String text(Duration d) {
    return d.toHours() % 24 == 0 ? d.toDays() + " day(s)" : d.toHours() + " hour(s)";
  }
}
