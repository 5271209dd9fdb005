package dev.vaultgate.coordinator.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** cron() and rate() as AWS Backup reads them, evaluated in a time zone. */
class ScheduleExpressionTest {

  static final ZoneId UTC = ZoneId.of("UTC");
  static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  static Instant utc(String localDateTime) {
    return LocalDateTime.parse(localDateTime).toInstant(ZoneOffset.UTC);
  }

  static Instant at(String localDateTime, ZoneId zone) {
    return LocalDateTime.parse(localDateTime).atZone(zone).toInstant();
  }

  static Instant next(String expr, String after, ZoneId zone) {
    return ScheduleExpression.parse(expr).next(at(after, zone), zone, Instant.EPOCH);
  }

  @Test
  void dailyCronRunsAtItsTimeInTheRulesTimeZone() {
    assertEquals(at("2025-03-10T05:00", PARIS), next("cron(0 5 ? * * *)", "2025-03-10T04:59", PARIS));
    assertEquals(at("2025-03-11T05:00", PARIS), next("cron(0 5 ? * * *)", "2025-03-10T05:00", PARIS));
    assertEquals(utc("2025-03-10T04:00"), next("cron(0 5 ? * * *)", "2025-03-10T04:59", PARIS));
  }

  @Test
  void cronKeepsLocalTimeAcrossDaylightSavingChanges() {
    List<Instant> runs = new ArrayList<>();
    ScheduleExpression e = ScheduleExpression.parse("cron(0 12 ? * * *)");
    Instant t = at("2025-03-07T00:00", NEW_YORK);
    for (int i = 0; i < 3; i++) runs.add(t = e.next(t, NEW_YORK, Instant.EPOCH));
    assertEquals(Duration.ofHours(24), Duration.between(runs.get(0), runs.get(1)));
    assertEquals(Duration.ofHours(23), Duration.between(runs.get(1), runs.get(2)), "spring forward: 23 h apart");
  }

  @Test
  void aTimeSkippedBySpringForwardRunsAnHourLater() {
    assertEquals(at("2025-03-09T03:30", NEW_YORK), next("cron(30 2 ? * * *)", "2025-03-09T00:00", NEW_YORK));
  }

  @ParameterizedTest
  @CsvSource({
    "'cron(0 5 ? * MON-FRI *)', 2025-03-08T00:00, 2025-03-10T05:00",   // Saturday -> Monday
    "'cron(0 5 ? * 2 *)',       2025-03-08T00:00, 2025-03-10T05:00",   // 2 = Monday
    "'cron(0 5 ? * SUN *)',     2025-03-10T00:00, 2025-03-16T05:00",
    "'cron(0 0/6 * * ? *)',     2025-03-10T07:00, 2025-03-10T12:00",
    "'cron(15 3 L * ? *)',      2025-02-01T00:00, 2025-02-28T03:15",   // last day of February
    "'cron(15 3 L * ? *)',      2024-02-01T00:00, 2024-02-29T03:15",   // leap year
    "'cron(0 1 ? * 6#3 *)',     2025-03-01T00:00, 2025-03-21T01:00",   // third Friday
    "'cron(0 1 ? * 6L *)',      2025-03-01T00:00, 2025-03-28T01:00",   // last Friday
    "'cron(0 1 1W * ? *)',      2025-03-01T00:00, 2025-03-03T01:00",   // 1st is a Saturday -> Monday 3rd
    "'cron(0 1 15 JAN,JUL ? *)',2025-02-01T00:00, 2025-07-15T01:00",
    "'cron(0 8 1 * ? 2027)',    2025-02-01T00:00, 2027-01-01T08:00",
    "'cron(0 22 ? * FRI-MON *)',2025-03-11T00:00, 2025-03-14T22:00",   // wrapping range
  })
  void cronFieldsFollowAwsSyntax(String expr, String after, String expected) {
    assertEquals(utc(expected), next(expr, after, UTC));
  }

  @Test
  void cronBoundToPastYearsNeverRunsAgain() {
    assertNull(next("cron(0 8 1 * ? 2020)", "2025-01-01T00:00", UTC));
  }

  @Test
  void rateCountsFromItsAnchor() {
    ScheduleExpression e = ScheduleExpression.parse("rate(12 hours)");
    Instant anchor = utc("2025-01-01T03:00");
    assertEquals(utc("2025-01-01T15:00"), e.next(utc("2025-01-01T03:00"), UTC, anchor));
    assertEquals(utc("2025-01-02T03:00"), e.next(utc("2025-01-01T20:00"), UTC, anchor));
    assertEquals(anchor, e.next(utc("2024-12-31T00:00"), UTC, anchor));
    assertEquals(Duration.ofDays(7), ((ScheduleExpression.Rate) ScheduleExpression.parse("rate(7 days)")).period());
  }

  @Test
  void yearsOfDailyRunsEvaluateQuickly() {
    ScheduleExpression e = ScheduleExpression.parse("cron(0 3 ? * * *)");
    Instant t = utc("2025-01-01T00:00");
    for (int i = 0; i < 3650; i++) t = e.next(t, PARIS, Instant.EPOCH);
    assertEquals(2034, t.atZone(PARIS).getYear());
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "cron(0 5 * * * *)", "cron(0 5 ? * ? *)", "cron(0 5 ? * *)", "cron(60 5 ? * * *)", "cron(0 24 ? * * *)",
    "cron(0 5 32 * ? *)", "cron(0 5 ? 13 * *)", "cron(0 5 ? * 8 *)", "cron(0 5 ? * * 1969)", "cron(0/15 * ? * * *)",
    "cron(0,30 5 ? * * *)", "cron(0 5 ? * 2#6 *)", "cron(a 5 ? * * *)", "rate(59 minutes)", "rate(0 hours)",
    "rate(1 days)", "rate(2 hour)", "rate(5 weeks)", "cron 0 5 * * ? *", "", "rate()",
  })
  void malformedOrTooFrequentExpressionsAreViolations(String expr) {
    assertThrows(RuleViolation.class, () -> ScheduleExpression.parse(expr));
  }

  @Test
  void timeZonesAreIanaNamesAndDefaultToUtc() {
    assertEquals(PARIS, ScheduleExpression.zone("Europe/Paris"));
    assertEquals(UTC, ScheduleExpression.zone(null));
    assertThrows(RuleViolation.class, () -> ScheduleExpression.zone("Europe/Atlantis"));
  }
}
