package dev.vaultgate.agent.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class BandwidthScheduleTest {
  private static final JsonArray WORKDAYS_9_TO_17 = new JsonArray().add(new JsonObject()
      .put("AverageUploadRateLimitInBitsPerSec", 8_000_000L)
      .put("StartHourOfDay", 9).put("StartMinuteOfHour", 0).put("EndHourOfDay", 16).put("EndMinuteOfHour", 59)
      .put("DaysOfWeek", new JsonArray().add(1).add(2).add(3).add(4).add(5)));

  private static ZonedDateTime at(int day, int hour, int minute) {
    return ZonedDateTime.of(2026, 11, 22 + day, hour, minute, 0, 0, ZoneOffset.UTC); // 2026-11-22 is a Sunday
  }

  @Test
  void theIntervalOfTheMomentSetsTheLimitInBytesAndOutsideThereIsNone() {
    assertEquals(1_000_000L, BandwidthSchedule.bytesPerSecondAt(WORKDAYS_9_TO_17, at(1, 9, 0)), "Monday 09:00");
    assertEquals(1_000_000L, BandwidthSchedule.bytesPerSecondAt(WORKDAYS_9_TO_17, at(5, 16, 59)), "Friday 16:59");
    assertEquals(0, BandwidthSchedule.bytesPerSecondAt(WORKDAYS_9_TO_17, at(1, 8, 59)));
    assertEquals(0, BandwidthSchedule.bytesPerSecondAt(WORKDAYS_9_TO_17, at(1, 17, 0)));
    assertEquals(0, BandwidthSchedule.bytesPerSecondAt(WORKDAYS_9_TO_17, at(0, 12, 0)), "Sunday");
    assertEquals(0, BandwidthSchedule.bytesPerSecondAt(new JsonArray(), at(1, 12, 0)));
  }
}
