package dev.vaultgate.coordinator.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A backup vault's resource policy, as far as Vaultgate enforces it: explicit Deny statements.
 * A Deny applies when its Action (with {@code *} and {@code ?} wildcards) names the action, its
 * Principal names the caller's account or everyone, and its Resource names the resource (or
 * {@code *}). Conditions are not evaluated: a conditional Deny applies always, the safe side
 * for a backup. Within its own account, Allow statements grant nothing beyond what the access key
 * already has; across accounts they are what lets another account in: a copy into this vault from
 * another account needs an Allow of {@code backup:CopyIntoBackupVault} naming that account (or
 * everyone), as on AWS ({@link #allows}). A conditional Allow grants nothing (the safe side).
 */
public final class VaultAccessPolicy {

  private record Statement(List<Pattern> actions, List<String> principals, List<Pattern> resources) {
    boolean matches(String action, String accountId, String resourceArn) {
      boolean actionMatches = actions.stream().anyMatch(p -> p.matcher(action).matches());
      boolean principalMatches = principals.contains("*") || principals.stream()
          .anyMatch(p -> p.equals(accountId) || p.equals("arn:aws:iam::" + accountId + ":root")
              || p.startsWith("arn:aws:iam::" + accountId + ":"));
      boolean resourceMatches = resources.stream().anyMatch(p -> p.matcher(resourceArn).matches());
      return actionMatches && principalMatches && resourceMatches;
    }
  }

  private final List<Statement> denies;
  /** Allow statements without a Condition, in the same shape as a Deny. */
  private final List<Statement> allows;

  private VaultAccessPolicy(List<Statement> denies, List<Statement> allows) {
    this.denies = denies;
    this.allows = allows;
  }

  /** Reads a parsed policy document (a JSON object as maps and lists). */
  public static VaultAccessPolicy of(Map<String, Object> document) {
    Object statements = document.get("Statement");
    if (statements == null) throw new RuleViolation("Policy: a policy has a Statement");
    List<Object> list = statements instanceof List<?> l ? new ArrayList<>(l) : List.of(statements);
    List<Statement> denies = new ArrayList<>();
    List<Statement> allows = new ArrayList<>();
    for (Object s : list) {
      if (!(s instanceof Map<?, ?> statement)) throw new RuleViolation("Policy: each Statement is an object");
      Object effect = statement.get("Effect");
      if (!"Allow".equals(effect) && !"Deny".equals(effect)) {
        throw new RuleViolation("Policy: Effect is Allow or Deny, got " + effect);
      }
      if (statement.get("Action") == null) throw new RuleViolation("Policy: each Statement has an Action");
      if ("Deny".equals(effect)) {
        denies.add(new Statement(patterns(statement.get("Action"), true), principals(statement.get("Principal")),
            statement.get("Resource") == null ? List.of(glob("*", false)) : patterns(statement.get("Resource"), false)));
      } else if (statement.get("Condition") == null) {
        allows.add(new Statement(patterns(statement.get("Action"), true), principals(statement.get("Principal")),
            statement.get("Resource") == null ? List.of(glob("*", false)) : patterns(statement.get("Resource"), false)));
      }
    }
    return new VaultAccessPolicy(denies, allows);
  }

  /** True when an explicit Deny stops {@code action} by {@code accountId} on {@code resourceArn}. */
  public boolean denies(String action, String accountId, String resourceArn) {
    return denies.stream().anyMatch(d -> d.matches(action, accountId, resourceArn));
  }

  /**
   * True when an Allow statement grants {@code action} to {@code accountId} (another account) on
   * {@code resourceArn} and no Deny stops it.
   */
  public boolean allows(String action, String accountId, String resourceArn) {
    return !denies(action, accountId, resourceArn) && allows.stream().anyMatch(a -> a.matches(action, accountId, resourceArn));
  }

  private static List<String> principals(Object principal) {
    if (principal == null || "*".equals(principal)) return List.of("*");
    List<String> out = new ArrayList<>();
    if (principal instanceof Map<?, ?> map) {
      map.values().forEach(v -> strings(v).forEach(out::add));
    } else {
      strings(principal).forEach(out::add);
    }
    return out;
  }

  private static List<Pattern> patterns(Object value, boolean ignoreCase) {
    List<Pattern> out = new ArrayList<>();
    for (String s : strings(value)) out.add(glob(s, ignoreCase));
    return out;
  }

  private static List<String> strings(Object value) {
    if (value instanceof String s) return List.of(s);
    if (value instanceof List<?> list) {
      List<String> out = new ArrayList<>();
      for (Object o : list) {
        if (!(o instanceof String s)) throw new RuleViolation("Policy: expected a string, got " + o);
        out.add(s);
      }
      return out;
    }
    throw new RuleViolation("Policy: expected a string or a list of strings, got " + value);
  }

  private static Pattern glob(String glob, boolean ignoreCase) {
    StringBuilder re = new StringBuilder();
    for (char c : glob.toCharArray()) {
      if (c == '*') re.append(".*");
      else if (c == '?') re.append('.');
      else re.append(Pattern.quote(String.valueOf(c)));
    }
    return Pattern.compile(re.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
  }

  @Override
  public String toString() {
    return "VaultAccessPolicy[" + denies.size() + " deny, " + allows.size() + " allow statements]";
  }
}
