package dev.vaultgate.coordinator.rules;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.BitSet;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A backup rule's schedule: {@code cron(Minutes Hours Day-of-month Month Day-of-week Year)}
 * in AWS's six-field form (with {@code * ? , - / L W #}, month and day names, day-of-week 1 =
 * Sunday), or {@code rate(N minute|minutes|hour|hours|day|days)}. Backup schedules run at most
 * hourly, so a cron names one minute of the hour and a rate is at least 60 minutes.
 */
public sealed interface ScheduleExpression permits ScheduleExpression.Cron, ScheduleExpression.Rate {

  /**
   * The first run strictly after {@code after}, or null when there is none (a cron bound to
   * past years). A cron is read in {@code zone}; a rate counts from {@code anchor} (the rule's
   * creation).
   */
  Instant next(Instant after, ZoneId zone, Instant anchor);

  String text();

  static ScheduleExpression parse(String text) {
    if (text == null) throw new RuleViolation("ScheduleExpression is missing");
    String t = text.trim();
    if (t.startsWith("cron(") && t.endsWith(")")) return Cron.parse(text, t.substring(5, t.length() - 1));
    if (t.startsWith("rate(") && t.endsWith(")")) return Rate.parse(text, t.substring(5, t.length() - 1));
    throw new RuleViolation("Invalid schedule expression '" + text + "': expected cron(...) or rate(...)");
  }

  /** Checks a time zone name (IANA, e.g. {@code Europe/Paris}); null means UTC. */
  static ZoneId zone(String name) {
    if (name == null || name.isBlank()) return ZoneId.of("UTC");
    try {
      return ZoneId.of(name);
    } catch (RuntimeException e) {
      throw new RuleViolation("Invalid ScheduleExpressionTimezone '" + name + "': not a known time zone");
    }
  }

  /** {@code rate(N unit)}: every N minutes, hours or days from an anchor. */
  record Rate(String text, Duration period) implements ScheduleExpression {

    private static final Pattern FORM = Pattern.compile("\\s*(\\d{1,9})\\s+(minute|minutes|hour|hours|day|days)\\s*");

    static Rate parse(String text, String body) {
      Matcher m = FORM.matcher(body);
      if (!m.matches()) {
        throw new RuleViolation("Invalid schedule expression '" + text + "': expected rate(<number> <minutes|hours|days>)");
      }
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2);
      if (n <= 0) throw new RuleViolation("Invalid schedule expression '" + text + "': the rate must be positive");
      if ((n == 1) != !unit.endsWith("s")) {
        throw new RuleViolation("Invalid schedule expression '" + text
            + "': the unit is singular for 1 (rate(1 hour)) and plural otherwise (rate(12 hours))");
      }
      Duration period = unit.startsWith("minute") ? Duration.ofMinutes(n)
          : unit.startsWith("hour") ? Duration.ofHours(n) : Duration.ofDays(n);
      if (period.compareTo(Duration.ofHours(1)) < 0) {
        throw new RuleViolation("Invalid schedule expression '" + text + "': backups run at most once an hour");
      }
      return new Rate(text, period);
    }

    @Override
    public Instant next(Instant after, ZoneId zone, Instant anchor) {
      if (after.isBefore(anchor)) return anchor;
      long periods = Duration.between(anchor, after).toSeconds() / period.toSeconds() + 1;
      return anchor.plus(period.multipliedBy(periods));
    }
  }

  /** The AWS six-field cron. */
  record Cron(
      String text,
      BitSet minutes,
      BitSet hours,
      DayOfMonth dayOfMonth,
      BitSet months,
      DayOfWeekSpec dayOfWeek,
      BitSet years)
      implements ScheduleExpression {

    static final int FIRST_YEAR = 1970;
    static final int LAST_YEAR = 2199;

    private static final Map<String, Integer> MONTHS = Map.ofEntries(
        Map.entry("JAN", 1), Map.entry("FEB", 2), Map.entry("MAR", 3), Map.entry("APR", 4),
        Map.entry("MAY", 5), Map.entry("JUN", 6), Map.entry("JUL", 7), Map.entry("AUG", 8),
        Map.entry("SEP", 9), Map.entry("OCT", 10), Map.entry("NOV", 11), Map.entry("DEC", 12));
    private static final Map<String, Integer> DAYS = Map.of(
        "SUN", 1, "MON", 2, "TUE", 3, "WED", 4, "THU", 5, "FRI", 6, "SAT", 7);

    static Cron parse(String text, String body) {
      String[] f = body.trim().split("\\s+");
      if (f.length != 6) {
        throw invalid(text, "a cron expression has six fields (minutes hours day-of-month month day-of-week year), found " + f.length);
      }
      BitSet minutes = field(text, "minutes", f[0], 0, 59, Map.of());
      if (minutes.cardinality() != 1) {
        throw invalid(text, "backups run at most once an hour: the minutes field must name a single minute");
      }
      BitSet hours = field(text, "hours", f[1], 0, 23, Map.of());
      BitSet months = field(text, "month", f[3], 1, 12, MONTHS);
      BitSet years = field(text, "year", f[5], FIRST_YEAR, LAST_YEAR, Map.of());
      boolean domAny = f[2].equals("?");
      boolean dowAny = f[4].equals("?");
      if (domAny == dowAny) {
        throw invalid(text, "exactly one of day-of-month and day-of-week must be '?'");
      }
      DayOfMonth dom = domAny ? null : DayOfMonth.parse(text, f[2]);
      DayOfWeekSpec dow = dowAny ? null : DayOfWeekSpec.parse(text, f[4]);
      return new Cron(text, minutes, hours, dom, months, dow, years);
    }

    @Override
    public Instant next(Instant after, ZoneId zone, Instant anchor) {
      LocalDate day = after.atZone(zone).toLocalDate();
      while (day.getYear() <= LAST_YEAR) {
        if (!years.get(day.getYear())) {
          int y = years.nextSetBit(day.getYear() + 1);
          if (y < 0) return null;
          day = LocalDate.of(y, 1, 1);
          continue;
        }
        if (!months.get(day.getMonthValue())) {
          day = day.withDayOfMonth(1).plusMonths(1);
          continue;
        }
        if (matchesDay(day)) {
          for (int h = hours.nextSetBit(0); h >= 0; h = hours.nextSetBit(h + 1)) {
            for (int m = minutes.nextSetBit(0); m >= 0; m = minutes.nextSetBit(m + 1)) {
              Instant candidate = ZonedDateTime.ofLocal(LocalDateTime.of(day, LocalTime.of(h, m)), zone, null).toInstant();
              if (candidate.isAfter(after)) return candidate;
            }
          }
        }
        day = day.plusDays(1);
      }
      return null;
    }

    boolean matchesDay(LocalDate day) {
      return dayOfMonth != null ? dayOfMonth.matches(day) : dayOfWeek.matches(day);
    }

    static BitSet field(String text, String name, String spec, int min, int max, Map<String, Integer> names) {
      BitSet out = new BitSet(max + 1);
      for (String item : spec.split(",")) {
        if (item.isEmpty()) throw invalid(text, "empty item in the " + name + " field");
        String range = item;
        int step = 1;
        int slash = item.indexOf('/');
        if (slash >= 0) {
          range = item.substring(0, slash);
          step = number(text, name, item.substring(slash + 1), names, 1, max);
        }
        int from;
        int to;
        if (range.equals("*")) {
          from = min;
          to = max;
        } else if (range.contains("-")) {
          String[] ab = range.split("-", 2);
          from = number(text, name, ab[0], names, min, max);
          to = number(text, name, ab[1], names, min, max);
        } else {
          from = number(text, name, range, names, min, max);
          to = slash >= 0 ? max : from;
        }
        if (from <= to) {
          for (int v = from; v <= to; v += step) out.set(v);
        } else { // a wrapping range such as FRI-MON or NOV-FEB
          int span = max - min + 1;
          int count = (to - from + span) % span;
          for (int k = 0; k <= count; k += step) out.set(min + (from - min + k) % span);
        }
      }
      return out;
    }

    static int number(String text, String name, String s, Map<String, Integer> names, int min, int max) {
      Integer named = names.get(s.toUpperCase(Locale.ROOT));
      int v;
      if (named != null) {
        v = named;
      } else {
        try {
          v = Integer.parseInt(s);
        } catch (NumberFormatException e) {
          throw invalid(text, "'" + s + "' is not a valid value in the " + name + " field");
        }
      }
      if (v < min || v > max) {
        throw invalid(text, name + " value " + v + " is outside " + min + "-" + max);
      }
      return v;
    }

    static RuleViolation invalid(String text, String why) {
      return new RuleViolation("Invalid schedule expression '" + text + "': " + why);
    }
  }

  /** Day-of-month: a set of days, {@code L} (last), {@code L-n}, {@code LW}, or {@code nW}. */
  record DayOfMonth(BitSet days, boolean last, int lastOffset, boolean lastWeekday, int nearestWeekdayTo) {

    static DayOfMonth parse(String text, String spec) {
      if (spec.equals("L")) return new DayOfMonth(null, true, 0, false, 0);
      if (spec.equals("LW")) return new DayOfMonth(null, false, 0, true, 0);
      if (spec.startsWith("L-")) {
        int off = Cron.number(text, "day-of-month", spec.substring(2), Map.of(), 0, 30);
        return new DayOfMonth(null, true, off, false, 0);
      }
      if (spec.endsWith("W")) {
        int d = Cron.number(text, "day-of-month", spec.substring(0, spec.length() - 1), Map.of(), 1, 31);
        return new DayOfMonth(null, false, 0, false, d);
      }
      return new DayOfMonth(Cron.field(text, "day-of-month", spec, 1, 31, Map.of()), false, 0, false, 0);
    }

    boolean matches(LocalDate day) {
      int length = day.lengthOfMonth();
      if (last) return day.getDayOfMonth() == Math.max(1, length - lastOffset);
      if (lastWeekday) return day.equals(weekdayNear(day.withDayOfMonth(length)));
      if (nearestWeekdayTo > 0) {
        if (nearestWeekdayTo > length) return false;
        return day.equals(weekdayNear(day.withDayOfMonth(nearestWeekdayTo)));
      }
      return days.get(day.getDayOfMonth());
    }

    /** The weekday nearest to a date, staying within its month (Quartz's W). */
    private static LocalDate weekdayNear(LocalDate d) {
      DayOfWeek w = d.getDayOfWeek();
      if (w == DayOfWeek.SATURDAY) {
        return d.getDayOfMonth() == 1 ? d.plusDays(2) : d.minusDays(1);
      }
      if (w == DayOfWeek.SUNDAY) {
        return d.getDayOfMonth() == d.lengthOfMonth() ? d.minusDays(2) : d.plusDays(1);
      }
      return d;
    }
  }

  /** Day-of-week (1 = Sunday): a set of days, {@code nL} (last n of the month) or {@code n#k} (k-th n). */
  record DayOfWeekSpec(BitSet days, int lastOf, int nth, int nthDay) {

    static DayOfWeekSpec parse(String text, String spec) {
      if (spec.contains("#")) {
        String[] p = spec.split("#", 2);
        int day = Cron.number(text, "day-of-week", p[0], Cron.DAYS, 1, 7);
        int k = Cron.number(text, "day-of-week", p[1], Map.of(), 1, 5);
        return new DayOfWeekSpec(null, 0, k, day);
      }
      if (spec.equals("L")) return new DayOfWeekSpec(Cron.field(text, "day-of-week", "7", 1, 7, Cron.DAYS), 0, 0, 0);
      if (spec.endsWith("L")) {
        int day = Cron.number(text, "day-of-week", spec.substring(0, spec.length() - 1), Cron.DAYS, 1, 7);
        return new DayOfWeekSpec(null, day, 0, 0);
      }
      return new DayOfWeekSpec(Cron.field(text, "day-of-week", spec, 1, 7, Cron.DAYS), 0, 0, 0);
    }

    boolean matches(LocalDate day) {
      int awsDay = day.getDayOfWeek().getValue() % 7 + 1; // MONDAY=1 -> 2, SUNDAY=7 -> 1
      if (lastOf > 0) {
        return awsDay == lastOf && day.plusWeeks(1).getMonthValue() != day.getMonthValue();
      }
      if (nth > 0) {
        return awsDay == nthDay && (day.getDayOfMonth() - 1) / 7 + 1 == nth;
      }
      return days.get(awsDay);
    }
  }
}
