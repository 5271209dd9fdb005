package dev.vaultgate.coordinator.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A backup selection as a predicate over protected resources (ARN and tags), with AWS Backup's
 * semantics: a resource is chosen when it matches {@code Resources} (ARNs, {@code *} matching any
 * run of characters) or any of {@code ListOfTags}; then it must not match {@code NotResources}, and
 * must satisfy every one of {@code Conditions} (StringEquals, StringNotEquals, StringLike,
 * StringNotLike on {@code aws:ResourceTag/<key>}). A selection with neither Resources nor
 * ListOfTags but with Conditions ranges over every resource.
 */
public record ResourceSelection(
    List<String> resources, List<String> notResources, List<TagCondition> listOfTags, List<TagCondition> conditions) {

  /** The operators of Conditions (ListOfTags uses only STRINGEQUALS). */
  public enum Operator { STRING_EQUALS, STRING_NOT_EQUALS, STRING_LIKE, STRING_NOT_LIKE }

  /** One condition on a tag: {@code ConditionKey} {@code aws:ResourceTag/<key>} (or a bare key). */
  public record TagCondition(Operator operator, String key, String value) {

    static final String PREFIX = "aws:ResourceTag/";

    public TagCondition {
      if (key.startsWith(PREFIX)) key = key.substring(PREFIX.length());
    }

    boolean matches(Map<String, String> tags) {
      String actual = tags.get(key);
      return switch (operator) {
        case STRING_EQUALS -> value.equals(actual);
        case STRING_NOT_EQUALS -> !value.equals(actual);
        case STRING_LIKE -> actual != null && like(value, actual);
        case STRING_NOT_LIKE -> actual == null || !like(value, actual);
      };
    }
  }

  public ResourceSelection {
    resources = List.copyOf(resources);
    notResources = List.copyOf(notResources);
    listOfTags = List.copyOf(listOfTags);
    conditions = List.copyOf(conditions);
  }

  /** True when the selection chooses the resource with this ARN and these tags. */
  public boolean matches(String arn, Map<String, String> tags) {
    boolean chosen;
    if (resources.isEmpty() && listOfTags.isEmpty()) {
      chosen = !conditions.isEmpty();
    } else {
      chosen = resources.stream().anyMatch(p -> like(p, arn)) || listOfTags.stream().anyMatch(c -> c.matches(tags));
    }
    if (!chosen || notResources.stream().anyMatch(p -> like(p, arn))) return false;
    return conditions.stream().allMatch(c -> c.matches(tags));
  }

  /** The ARNs of Resources without a wildcard: chosen even before a gateway reports them. */
  public List<String> explicitResources() {
    List<String> out = new ArrayList<>();
    for (String r : resources) {
      if (!r.contains("*") && !r.contains("?")) out.add(r);
    }
    return out;
  }

  /** IAM-style matching: {@code *} is any run of characters, {@code ?} any one character. */
  static boolean like(String pattern, String value) {
    StringBuilder re = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (char ch : pattern.toCharArray()) {
      if (ch == '*' || ch == '?') {
        if (literal.length() > 0) re.append(Pattern.quote(literal.toString()));
        literal.setLength(0);
        re.append(ch == '*' ? ".*" : ".");
      } else {
        literal.append(ch);
      }
    }
    if (literal.length() > 0) re.append(Pattern.quote(literal.toString()));
    return Pattern.compile(re.toString(), Pattern.DOTALL).matcher(value).matches();
  }
}
