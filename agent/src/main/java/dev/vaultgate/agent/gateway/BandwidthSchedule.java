package dev.vaultgate.agent.gateway;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.ZonedDateTime;

/**
 * The bandwidth limit in force at a moment, from the intervals PutBandwidthRateLimitSchedule stored (AWS member
 * names: {@code StartHourOfDay}, {@code StartMinuteOfHour}, {@code EndHourOfDay}, {@code EndMinuteOfHour} (the
 * end minute included, as AWS's 59 means "to the end of the hour"), {@code DaysOfWeek} with 0 = Sunday, and
 * {@code AverageUploadRateLimitInBitsPerSec}, absent for no limit). Outside every interval there is no limit.
 */
public final class BandwidthSchedule {
  private BandwidthSchedule() {
  }

  /** Bytes per second allowed at {@code at}; 0 for no limit. */
  public static long bytesPerSecondAt(JsonArray intervals, ZonedDateTime at) {
    if (intervals == null) {
      return 0;
    }
    int day = at.getDayOfWeek().getValue() % 7; // Monday=1..Sunday=7 -> Sunday=0
    int minute = at.getHour() * 60 + at.getMinute();
    for (Object o : intervals) {
      if (!(o instanceof JsonObject i)) {
        continue;
      }
      JsonArray days = i.getJsonArray("DaysOfWeek");
      if (days != null && !days.contains(day)) {
        continue;
      }
      int start = i.getInteger("StartHourOfDay", 0) * 60 + i.getInteger("StartMinuteOfHour", 0);
      int end = i.getInteger("EndHourOfDay", 23) * 60 + i.getInteger("EndMinuteOfHour", 59);
      if (minute >= start && minute <= end) {
        Long bits = i.getLong("AverageUploadRateLimitInBitsPerSec");
        return bits == null ? 0 : Math.max(1, bits / 8);
      }
    }
    return 0;
  }
}
