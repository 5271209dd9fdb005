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
 * for a backup. Allow statements grant nothing beyond what the access key already has.
 */
public final class VaultAccessPolicy {

  private record Deny(List<Pattern> actions, List<String> principals, List<Pattern> resources) {}

  private final List<Deny> denies;

  private VaultAccessPolicy(List<Deny> denies) {
    this.denies = denies;
  }

  /** Reads a parsed policy document (a JSON object as maps and lists). */
  public static VaultAccessPolicy of(Map<String, Object> document) {
    Object statements = document.get("Statement");
    if (statements == null) throw new RuleViolation("Policy: a policy has a Statement");
    List<Object> list = statements instanceof List<?> l ? new ArrayList<>(l) : List.of(statements);
    List<Deny> denies = new ArrayList<>();
    for (Object s : list) {
      if (!(s instanceof Map<?, ?> statement)) throw new RuleViolation("Policy: each Statement is an object");
      Object effect = statement.get("Effect");
      if (!"Allow".equals(effect) && !"Deny".equals(effect)) {
        throw new RuleViolation("Policy: Effect is Allow or Deny, got " + effect);
      }
      if (statement.get("Action") == null) throw new RuleViolation("Policy: each Statement has an Action");
      if ("Deny".equals(effect)) {
        denies.add(new Deny(patterns(statement.get("Action"), true), principals(statement.get("Principal")),
            statement.get("Resource") == null ? List.of(glob("*", false)) : patterns(statement.get("Resource"), false)));
      }
    }
    return new VaultAccessPolicy(denies);
  }

  /** True when an explicit Deny stops {@code action} by {@code accountId} on {@code resourceArn}. */
  public boolean denies(String action, String accountId, String resourceArn) {
    for (Deny d : denies) {
      boolean actionMatches = d.actions().stream().anyMatch(p -> p.matcher(action).matches());
      boolean principalMatches = d.principals().contains("*") || d.principals().stream()
          .anyMatch(p -> p.equals(accountId) || p.equals("arn:aws:iam::" + accountId + ":root")
              || p.startsWith("arn:aws:iam::" + accountId + ":"));
      boolean resourceMatches = d.resources().stream().anyMatch(p -> p.matcher(resourceArn).matches());
      if (actionMatches && principalMatches && resourceMatches) return true;
    }
    return false;
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
    return "VaultAccessPolicy[" + denies.size() + " deny statements]";
  }
}
