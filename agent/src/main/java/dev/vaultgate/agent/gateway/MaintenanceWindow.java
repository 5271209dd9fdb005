package dev.vaultgate.agent.gateway;

import io.vertx.core.json.JsonObject;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * The gateway's maintenance window, from the start time PutMaintenanceStartTime stored ({@code HourOfDay}, {@code
 * MinuteOfHour}, and {@code DayOfWeek} (0 = Sunday) for a weekly window or {@code DayOfMonth} (1-28) for a monthly
 * one; neither: daily), lasting {@link #LENGTH}. During it the gateway takes no new jobs and does its maintenance
 * once the jobs it holds have ended. Pure: the caller gives the moment (UTC on a gateway).
 */
public record MaintenanceWindow(int hourOfDay, int minuteOfHour, Integer dayOfWeek, Integer dayOfMonth) {
  /** AWS gives a start only; an hour is long enough for the running jobs to end and the maintenance to run. */
  public static final Duration LENGTH = Duration.ofHours(1);

  public MaintenanceWindow {
    if (hourOfDay < 0 || hourOfDay > 23 || minuteOfHour < 0 || minuteOfHour > 59
        || (dayOfWeek != null && (dayOfWeek < 0 || dayOfWeek > 6)) || (dayOfMonth != null && (dayOfMonth < 1 || dayOfMonth > 31))
        || (dayOfWeek != null && dayOfMonth != null)) {
      throw new IllegalArgumentException("not a maintenance start time: hour " + hourOfDay + ", minute " + minuteOfHour
          + ", day of week " + dayOfWeek + ", day of month " + dayOfMonth);
    }
  }

  /** The window the coordinator's heartbeat names ({@code maintenanceStartTime}); empty when none was set or it is unreadable. */
  public static Optional<MaintenanceWindow> fromHeartbeat(JsonObject start) {
    if (start == null || start.getInteger("HourOfDay") == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(new MaintenanceWindow(start.getInteger("HourOfDay"), start.getInteger("MinuteOfHour", 0),
          start.getInteger("DayOfWeek"), start.getInteger("DayOfMonth")));
    } catch (IllegalArgumentException | ClassCastException e) {
      return Optional.empty();
    }
  }

  /** The start of the window that contains {@code at}, if one does. */
  public Optional<ZonedDateTime> windowStartAt(ZonedDateTime at) {
    // A window that began up to LENGTH ago started today or, just after midnight, yesterday.
    for (int daysBack = 0; daysBack <= 1; daysBack++) {
      ZonedDateTime day = at.minusDays(daysBack);
      ZonedDateTime start = day.truncatedTo(ChronoUnit.DAYS).withHour(hourOfDay).withMinute(minuteOfHour);
      if (startsOn(day) && !at.isBefore(start) && at.isBefore(start.plus(LENGTH))) {
        return Optional.of(start);
      }
    }
    return Optional.empty();
  }

  public boolean contains(ZonedDateTime at) {
    return windowStartAt(at).isPresent();
  }

  private boolean startsOn(ZonedDateTime day) {
    if (dayOfWeek != null) {
      return day.getDayOfWeek() == DayOfWeek.of(dayOfWeek == 0 ? 7 : dayOfWeek);
    }
    if (dayOfMonth != null) {
      return day.getDayOfMonth() == dayOfMonth;
    }
    return true;
  }

  /** As GetGateway shows it. */
  public String describe() {
    String time = String.format("%02d:%02d UTC", hourOfDay, minuteOfHour);
    if (dayOfWeek != null) {
      return DayOfWeek.of(dayOfWeek == 0 ? 7 : dayOfWeek) + "s at " + time;
    }
    return dayOfMonth != null ? "day " + dayOfMonth + " of each month at " + time : "daily at " + time;
  }
}
