package dev.vaultgate.coordinator.rules;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checkable parts of one backup rule (of a plan) or of an on-demand job: schedule, time
 * zone, windows and lifecycles.
 */
public record BackupRuleSpec(
    String ruleName,
    String scheduleExpression,
    String scheduleExpressionTimezone,
    Long startWindowMinutes,
    Long completionWindowMinutes,
    Long moveToColdStorageAfterDays,
    Long deleteAfterDays,
    List<CopyActionSpec> copyActions) {

  public static final long MIN_START_WINDOW_MINUTES = 60;
  public static final long MIN_COMPLETION_WINDOW_MINUTES = 60;
  public static final long DEFAULT_START_WINDOW_MINUTES = 480;
  public static final long DEFAULT_COMPLETION_WINDOW_MINUTES = 10080;

  /** A copy action: where to copy, and the copy's own lifecycle. */
  public record CopyActionSpec(String destinationBackupVaultArn, Long moveToColdStorageAfterDays, Long deleteAfterDays) {}

  /** Checks one rule; {@code where} names it in messages (e.g. "Rules[1]"). */
  public void check(String where) {
    if (scheduleExpression != null) ScheduleExpression.parse(scheduleExpression);
    ScheduleExpression.zone(scheduleExpressionTimezone);
    checkWindows(where, startWindowMinutes, completionWindowMinutes);
    LifecycleRules.check(where + ".Lifecycle", moveToColdStorageAfterDays, deleteAfterDays);
    if (copyActions != null) {
      for (int i = 0; i < copyActions.size(); i++) {
        CopyActionSpec c = copyActions.get(i);
        String at = where + ".CopyActions[" + i + "]";
        if (!BackupArns.isBackupVaultArn(c.destinationBackupVaultArn())) {
          throw new RuleViolation(at + ": DestinationBackupVaultArn '" + c.destinationBackupVaultArn()
              + "' is not a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>)");
        }
        LifecycleRules.check(at + ".Lifecycle", c.moveToColdStorageAfterDays(), c.deleteAfterDays());
      }
    }
  }

  /** Start window at least 60 minutes; completion window at least 60 minutes. */
  public static void checkWindows(String where, Long startWindowMinutes, Long completionWindowMinutes) {
    if (startWindowMinutes != null && startWindowMinutes < MIN_START_WINDOW_MINUTES) {
      throw new RuleViolation(where + ": StartWindowMinutes must be at least 60, got " + startWindowMinutes);
    }
    if (completionWindowMinutes != null && completionWindowMinutes < MIN_COMPLETION_WINDOW_MINUTES) {
      throw new RuleViolation(where + ": CompletionWindowMinutes must be at least 60, got " + completionWindowMinutes);
    }
  }

  /** Checks every rule of a plan and that rule names are unique in it. */
  public static void checkPlan(List<BackupRuleSpec> rules) {
    if (rules.isEmpty()) throw new RuleViolation("BackupPlan.Rules: a plan has at least one rule");
    Set<String> names = new HashSet<>();
    for (int i = 0; i < rules.size(); i++) {
      BackupRuleSpec r = rules.get(i);
      if (!names.add(r.ruleName())) {
        throw new RuleViolation("BackupPlan.Rules[" + i + "]: the rule name '" + r.ruleName() + "' is used twice");
      }
      r.check("BackupPlan.Rules[" + i + "]");
    }
  }
}
