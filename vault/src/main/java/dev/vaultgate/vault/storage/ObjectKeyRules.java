package dev.vaultgate.vault.storage;

/**
 * The keys every backend accepts, so a vault can move between S3 and a directory unchanged:
 * '/'-separated segments, none empty, "." or "..", no backslash, no leading '/'.
 */
final class ObjectKeyRules {
  private ObjectKeyRules() {
  }

  static void checkKey(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("bad object key '': it is empty");
    }
    String problem = key.endsWith("/") ? "it ends with '/'" : problemOf(key);
    if (problem != null) {
      throw new IllegalArgumentException("bad object key '" + key + "': " + problem);
    }
  }

  /** A prefix is a key cut anywhere: it may be empty or end in '/' or in the middle of a segment. */
  static void checkPrefix(String prefix) {
    if (prefix == null) {
      throw new IllegalArgumentException("list prefix is null");
    }
    if (prefix.isEmpty()) {
      return;
    }
    String whole = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    String problem = whole.isEmpty() ? "it is only '/'" : problemOf(whole);
    if (problem != null) {
      throw new IllegalArgumentException("bad list prefix '" + prefix + "': " + problem);
    }
  }

  private static String problemOf(String key) {
    if (key.startsWith("/")) {
      return "it is absolute (starts with '/')";
    }
    if (key.indexOf('\\') >= 0) {
      return "it contains a backslash";
    }
    if (key.indexOf('\0') >= 0) {
      return "it contains a NUL character";
    }
    for (String segment : key.split("/", -1)) {
      if (segment.equals("..") || segment.equals(".")) {
        return "it contains a '" + segment + "' segment";
      }
      if (segment.isEmpty()) {
        return "it contains an empty segment ('//')";
      }
    }
    return null;
  }
}
