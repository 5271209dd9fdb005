package dev.vaultgate.vault.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations on the command line: {@code 90s}, {@code 15m}, {@code 12h}, {@code 30d}. */
final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})([smhd])");

  private Durations() {
  }

  static Duration parse(String option, String text) {
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(option + " '" + text + "' is no duration: expected a number and a unit s, m, h"
          + " or d (e.g. 30d)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }
}
