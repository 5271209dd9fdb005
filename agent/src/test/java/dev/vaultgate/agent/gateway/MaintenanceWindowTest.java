package dev.vaultgate.agent.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The maintenance window from PutMaintenanceStartTime's start: weekly, monthly or daily, an hour long. */
class MaintenanceWindowTest {
  private static ZonedDateTime at(int dayOfNovember, int hour, int minute) {
    return ZonedDateTime.of(2026, 11, dayOfNovember, hour, minute, 0, 0, ZoneOffset.UTC); // 2026-11-22 is a Sunday
  }

  @Test
  void aWeeklyWindowHoldsForAnHourFromItsStartOnItsDayOnly() {
    MaintenanceWindow sunday = MaintenanceWindow.fromHeartbeat(new JsonObject().put("HourOfDay", 2).put("MinuteOfHour", 30)
        .put("DayOfWeek", 0)).orElseThrow();
    assertEquals(Optional.of(at(22, 2, 30)), sunday.windowStartAt(at(22, 2, 30)));
    assertTrue(sunday.contains(at(22, 3, 29)));
    assertFalse(sunday.contains(at(22, 3, 30)), "an hour long");
    assertFalse(sunday.contains(at(22, 2, 29)));
    assertFalse(sunday.contains(at(23, 2, 45)), "Monday");
    assertEquals("SUNDAYs at 02:30 UTC", sunday.describe());
  }

  @Test
  void aWindowThatStartsBeforeMidnightRunsIntoTheNextDay() {
    MaintenanceWindow late = new MaintenanceWindow(23, 30, 6, null); // Saturday 23:30
    assertEquals(Optional.of(at(21, 23, 30)), late.windowStartAt(at(22, 0, 15)), "Sunday 00:15 is in Saturday's window");
    assertFalse(late.contains(at(22, 0, 30)));
  }

  @Test
  void aMonthlyWindowHoldsOnItsDayOfMonthAndADailyOneEveryDay() {
    MaintenanceWindow monthly = new MaintenanceWindow(4, 0, null, 23);
    assertTrue(monthly.contains(at(23, 4, 10)));
    assertFalse(monthly.contains(at(24, 4, 10)));
    MaintenanceWindow daily = MaintenanceWindow.fromHeartbeat(new JsonObject().put("HourOfDay", 4).put("MinuteOfHour", 0)).orElseThrow();
    assertTrue(daily.contains(at(24, 4, 59)));
    assertTrue(daily.contains(at(25, 4, 0)));
    assertFalse(daily.contains(at(25, 5, 0)));
  }

  @Test
  void noStartTimeOrAnUnreadableOneIsNoWindow() {
    assertTrue(MaintenanceWindow.fromHeartbeat(null).isEmpty());
    assertTrue(MaintenanceWindow.fromHeartbeat(new JsonObject()).isEmpty());
    assertTrue(MaintenanceWindow.fromHeartbeat(new JsonObject().put("HourOfDay", 25).put("MinuteOfHour", 0)).isEmpty());
  }
}
