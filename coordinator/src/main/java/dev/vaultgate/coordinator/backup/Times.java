package dev.vaultgate.coordinator.backup;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** Conversions between the API's epoch seconds, {@link Instant} and PostgreSQL's timestamptz. */
final class Times {

  private Times() {}

  /** Epoch seconds with millisecond precision, written plainly (never in exponent form). */
  static BigDecimal epoch(Instant t) {
    return t == null ? null : BigDecimal.valueOf(t.toEpochMilli(), 3);
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
