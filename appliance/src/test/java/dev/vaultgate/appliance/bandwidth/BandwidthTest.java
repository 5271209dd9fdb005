package dev.vaultgate.appliance.bandwidth;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.storage.FileVaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BandwidthTest {
  @TempDir
  Path dir;
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  static final ApplianceConfig.Bandwidth OFFICE_HOURS = new ApplianceConfig.Bandwidth(Optional.of(1_000_000_000L), List.of(
      new ApplianceConfig.Interval(EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), LocalTime.of(8, 0), LocalTime.of(18, 0), 100_000_000L)));

  static ZonedDateTime at(DayOfWeek day, int hour, int minute) {
    ZonedDateTime monday = ZonedDateTime.of(2026, 11, 23, hour, minute, 0, 0, ZoneOffset.UTC); // a Monday
    return monday.plusDays(day.getValue() - 1L);
  }

  @Test
  void scheduleIntervalHoldsOnItsDaysFromStartUntilEnd() {
    BandwidthSchedule s = new BandwidthSchedule(OFFICE_HOURS);
    assertEquals(OptionalLong.of(100_000_000L), s.uploadBitsPerSecondAt(at(DayOfWeek.MONDAY, 8, 0)));
    assertEquals(OptionalLong.of(100_000_000L), s.uploadBitsPerSecondAt(at(DayOfWeek.FRIDAY, 17, 59)));
    assertEquals(OptionalLong.of(1_000_000_000L), s.uploadBitsPerSecondAt(at(DayOfWeek.FRIDAY, 18, 0)), "end is exclusive");
    assertEquals(OptionalLong.of(1_000_000_000L), s.uploadBitsPerSecondAt(at(DayOfWeek.SATURDAY, 12, 0)));
    assertEquals(OptionalLong.empty(), new BandwidthSchedule(ApplianceConfig.Bandwidth.UNLIMITED).uploadBitsPerSecondAt(at(DayOfWeek.MONDAY, 9, 0)));
  }

  @Test
  void uploadsArePacedToTheLimitAndStoredIntact() throws Exception {
    Files.createDirectories(dir.resolve("v"));
    // 8 Mbit/s = 1 MB/s: three uploads of 250 kB cannot all have started before 0.5 s.
    ApplianceConfig.Bandwidth limit = new ApplianceConfig.Bandwidth(Optional.of(8_000_000L), List.of());
    BandwidthLimitedStorage s = new BandwidthLimitedStorage(vertx, new FileVaultStorage(vertx, dir.resolve("v")),
        new BandwidthSchedule(limit), Clock.systemUTC());
    byte[] data = new byte[250_000];
    new java.util.Random(1).nextBytes(data);
    long start = System.nanoTime();
    Await.await(vertx, () -> Future.all(s.put("a", data), s.put("b", data), s.put("c", data)).mapEmpty(), Duration.ofSeconds(30));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis >= 480, "paced: " + millis + " ms");
    assertArrayEquals(data, Await.await(vertx, () -> s.get("c"), Duration.ofSeconds(10)));
  }

  @Test
  void unlimitedUploadsAreNotDelayed() throws Exception {
    Files.createDirectories(dir.resolve("u"));
    BandwidthLimitedStorage s = new BandwidthLimitedStorage(vertx, new FileVaultStorage(vertx, dir.resolve("u")),
        new BandwidthSchedule(ApplianceConfig.Bandwidth.UNLIMITED), Clock.systemUTC());
    assertEquals(0, s.reserve(100_000_000));
    assertEquals(0, s.reserve(100_000_000));
  }
}
