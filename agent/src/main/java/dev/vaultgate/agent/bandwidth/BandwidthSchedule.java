package dev.vaultgate.agent.bandwidth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Which upload limit holds at a moment: the first interval whose day and [start, end) contain the moment's time of
 * day, else the default; empty means unlimited. One class for both sources of a schedule: the coordinator's
 * PutBandwidthRateLimitSchedule intervals ({@link #fromRateLimitIntervals}) and the appliance config's ({@link
 * #interval}). Pure: the caller gives the moment (UTC on a gateway, as the coordinator stores the schedule).
 */
public final class BandwidthSchedule {
  private static final int DAY_SECONDS = 24 * 3600;
  public static final BandwidthSchedule UNLIMITED = new BandwidthSchedule(OptionalLong.empty(), List.of());

  /** From second {@code startSecond} of the day (included) to {@code endSecond} (excluded, at most 86400) on {@code days}. */
  public record Interval(Set<DayOfWeek> days, int startSecond, int endSecond, OptionalLong uploadBitsPerSecond) {
    public Interval {
      days = Set.copyOf(days);
      if (startSecond < 0 || endSecond > DAY_SECONDS || endSecond <= startSecond) {
        throw new IllegalArgumentException("a bandwidth interval runs from a time of day to a later one, got seconds "
            + startSecond + " to " + endSecond);
      }
    }

    boolean contains(ZonedDateTime at) {
      int second = at.toLocalTime().toSecondOfDay();
      return days.contains(at.getDayOfWeek()) && second >= startSecond && second < endSecond;
    }
  }

  private final OptionalLong defaultBitsPerSecond;
  private final List<Interval> intervals;

  public BandwidthSchedule(OptionalLong defaultBitsPerSecond, List<Interval> intervals) {
    this.defaultBitsPerSecond = defaultBitsPerSecond;
    this.intervals = List.copyOf(intervals);
  }

  /** An interval as the appliance config writes it: [start, end) on {@code days}, held to {@code bitsPerSecond}. */
  public static Interval interval(Set<DayOfWeek> days, LocalTime start, LocalTime end, long bitsPerSecond) {
    return new Interval(days, start.toSecondOfDay(), end.toSecondOfDay(), OptionalLong.of(bitsPerSecond));
  }

  /**
   * The intervals PutBandwidthRateLimitSchedule stored, with AWS's member names: {@code StartHourOfDay}, {@code
   * StartMinuteOfHour}, {@code EndHourOfDay}, {@code EndMinuteOfHour} (the end minute included: AWS's 59 means "to
   * the end of the hour"), {@code DaysOfWeek} with 0 = Sunday, and {@code AverageUploadRateLimitInBitsPerSec},
   * absent for no limit. Outside every interval there is no limit. Null or malformed entries are skipped: the
   * coordinator validated them when they were put.
   */
  public static BandwidthSchedule fromRateLimitIntervals(JsonArray awsIntervals) {
    List<Interval> out = new ArrayList<>();
    if (awsIntervals != null) {
      for (Object o : awsIntervals) {
        if (!(o instanceof JsonObject i)) {
          continue;
        }
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        JsonArray given = i.getJsonArray("DaysOfWeek");
        if (given == null) {
          days = EnumSet.allOf(DayOfWeek.class);
        } else {
          for (Object d : given) {
            if (d instanceof Number n && n.intValue() >= 0 && n.intValue() <= 6) {
              days.add(DayOfWeek.of(n.intValue() == 0 ? 7 : n.intValue())); // AWS: 0 = Sunday
            }
          }
        }
        int start = (i.getInteger("StartHourOfDay", 0) * 60 + i.getInteger("StartMinuteOfHour", 0)) * 60;
        int end = (i.getInteger("EndHourOfDay", 23) * 60 + i.getInteger("EndMinuteOfHour", 59) + 1) * 60;
        Long bits = i.getLong("AverageUploadRateLimitInBitsPerSec");
        if (end > start && end <= DAY_SECONDS && !days.isEmpty()) {
          out.add(new Interval(days, start, end, bits == null ? OptionalLong.empty() : OptionalLong.of(bits)));
        }
      }
    }
    return new BandwidthSchedule(OptionalLong.empty(), out);
  }

  /** Bits per second allowed at {@code at}; empty for no limit. */
  public OptionalLong uploadBitsPerSecondAt(ZonedDateTime at) {
    for (Interval i : intervals) {
      if (i.contains(at)) {
        return i.uploadBitsPerSecond();
      }
    }
    return defaultBitsPerSecond;
  }

  /** Bytes per second allowed at {@code at}; 0 for no limit. */
  public long bytesPerSecondAt(ZonedDateTime at) {
    OptionalLong bits = uploadBitsPerSecondAt(at);
    return bits.isEmpty() ? 0 : Math.max(1, bits.getAsLong() / 8);
  }

  /** True when it never limits: no default and no interval. */
  public boolean isEmpty() {
    return defaultBitsPerSecond.isEmpty() && intervals.isEmpty();
  }

  public OptionalLong defaultBitsPerSecond() {
    return defaultBitsPerSecond;
  }

  public List<Interval> intervals() {
    return intervals;
  }
}
