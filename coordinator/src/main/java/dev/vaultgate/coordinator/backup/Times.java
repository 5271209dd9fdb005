package dev.vaultgate.coordinator.backup;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** Conversions between the API's epoch seconds, {@link Instant} and PostgreSQL's timestamptz. */
final class Times {

  private Times() {}

  /**
   * Epoch seconds with millisecond precision, as AWS writes them: a whole number of seconds is a
   * {@code long}, anything else a {@code double} ({@code 1.700000000123E9}, the form AWS itself
   * sends; the SDKs read it as a decimal). {@code millis / 1000.0} is the double nearest the exact
   * value and prints back as exactly those digits (three decimals need 13 significant digits, a
   * double holds 15), so no millisecond is lost. Much cheaper than a {@code BigDecimal}.
   */
  static Number epoch(Instant t) {
    if (t == null) return null;
    long millis = t.toEpochMilli();
    return millis % 1000 == 0 ? (Number) (millis / 1000) : (Number) (millis / 1000.0);
  }

  static OffsetDateTime db(Instant t) {
    return t == null ? null : t.atOffset(ZoneOffset.UTC);
  }

  static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  /** The database keeps microseconds: times are cut there so that keyset tokens are exact. */
  static Instant micros(Instant t) {
    return t.truncatedTo(ChronoUnit.MICROS);
  }
}
