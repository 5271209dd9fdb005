package dev.vaultgate.agent.bandwidth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The one bandwidth schedule, read from the coordinator's AWS intervals and from the appliance config's. */
class BandwidthScheduleTest {
  private static final JsonArray WORKDAYS_9_TO_17 = new JsonArray().add(new JsonObject()
      .put("AverageUploadRateLimitInBitsPerSec", 8_000_000L)
      .put("StartHourOfDay", 9).put("StartMinuteOfHour", 0).put("EndHourOfDay", 16).put("EndMinuteOfHour", 59)
      .put("DaysOfWeek", new JsonArray().add(1).add(2).add(3).add(4).add(5)));

  static final BandwidthSchedule OFFICE_HOURS = new BandwidthSchedule(OptionalLong.of(1_000_000_000L), List.of(
      BandwidthSchedule.interval(EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), LocalTime.of(8, 0), LocalTime.of(18, 0),
          100_000_000L)));

  private static ZonedDateTime at(int day, int hour, int minute) {
    return ZonedDateTime.of(2026, 11, 22 + day, hour, minute, 0, 0, ZoneOffset.UTC); // 2026-11-22 is a Sunday
  }

  private static ZonedDateTime at(DayOfWeek day, int hour, int minute) {
    return at(day.getValue() % 7, hour, minute);
  }

  @Test
  void theCoordinatorsIntervalOfTheMomentSetsTheLimitItsEndMinuteIncludedAndOutsideThereIsNone() {
    BandwidthSchedule s = BandwidthSchedule.fromRateLimitIntervals(WORKDAYS_9_TO_17);
    assertEquals(1_000_000L, s.bytesPerSecondAt(at(1, 9, 0)), "Monday 09:00");
    assertEquals(1_000_000L, s.bytesPerSecondAt(at(5, 16, 59)), "Friday 16:59");
    assertEquals(0, s.bytesPerSecondAt(at(1, 8, 59)));
    assertEquals(0, s.bytesPerSecondAt(at(1, 17, 0)));
    assertEquals(0, s.bytesPerSecondAt(at(0, 12, 0)), "Sunday");
    assertEquals(0, BandwidthSchedule.fromRateLimitIntervals(new JsonArray()).bytesPerSecondAt(at(1, 12, 0)));
    assertTrue(BandwidthSchedule.fromRateLimitIntervals(null).isEmpty());
  }

  @Test
  void aWholeDayToMinute59AndSundayAsZeroAreUnderstood() {
    BandwidthSchedule s = BandwidthSchedule.fromRateLimitIntervals(new JsonArray().add(new JsonObject()
        .put("AverageUploadRateLimitInBitsPerSec", 800L).put("StartHourOfDay", 0).put("StartMinuteOfHour", 0)
        .put("EndHourOfDay", 23).put("EndMinuteOfHour", 59).put("DaysOfWeek", new JsonArray().add(0))));
    assertEquals(100, s.bytesPerSecondAt(ZonedDateTime.of(2026, 11, 22, 23, 59, 59, 0, ZoneOffset.UTC)), "Sunday's last second");
    assertEquals(0, s.bytesPerSecondAt(at(1, 0, 0)), "Monday");
  }

  @Test
  void theConfigsIntervalHoldsOnItsDaysFromStartUntilEndAndTheDefaultElsewhere() {
    assertEquals(OptionalLong.of(100_000_000L), OFFICE_HOURS.uploadBitsPerSecondAt(at(DayOfWeek.MONDAY, 8, 0)));
    assertEquals(OptionalLong.of(100_000_000L), OFFICE_HOURS.uploadBitsPerSecondAt(at(DayOfWeek.FRIDAY, 17, 59)));
    assertEquals(OptionalLong.of(1_000_000_000L), OFFICE_HOURS.uploadBitsPerSecondAt(at(DayOfWeek.FRIDAY, 18, 0)), "end is exclusive");
    assertEquals(OptionalLong.of(1_000_000_000L), OFFICE_HOURS.uploadBitsPerSecondAt(at(DayOfWeek.SATURDAY, 12, 0)));
    assertEquals(OptionalLong.empty(), BandwidthSchedule.UNLIMITED.uploadBitsPerSecondAt(at(DayOfWeek.MONDAY, 9, 0)));
  }
}
