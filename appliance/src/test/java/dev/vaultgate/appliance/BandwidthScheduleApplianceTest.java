package dev.vaultgate.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.vault.Await;
import dev.vaultgate.appliance.volumes.LocalVolumeJobs;
import dev.vaultgate.vault.backup.BackupResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config's bandwidth schedule paces a real appliance's uploads: a local volume's backup into a vault on a real
 * S3 server (s3proxy on loopback) takes as long as the schedule's rate asks inside the schedule's hours, and is not
 * paced outside them. The appliance's clock is fixed (a Monday at 10:00 or a Sunday) so the schedule's hours apply.
 */
class BandwidthScheduleApplianceTest {
  static final Instant MONDAY_10 = Instant.parse("2026-11-23T10:00:00Z");
  static final Instant SUNDAY_10 = Instant.parse("2026-11-22T10:00:00Z");
  static final long TWO_MEGABYTES_A_SECOND = 16_000_000; // bits per second
  static final int VOLUME_MIB = 8; // random: every byte is uploaded

  @TempDir
  Path dir;

  @Test
  void uploadsInsideTheSchedulesHoursGoAtItsRateAndOutsideThemUnpaced() throws Exception {
    double unpaced = backupSeconds(Files.createDirectories(dir.resolve("sunday")), SUNDAY_10);
    double paced = backupSeconds(Files.createDirectories(dir.resolve("monday")), MONDAY_10);
    // 8.4 MB at 2 MB/s: at least ~3 s even if the limiter lets its first second's worth through at once
    assertTrue(paced >= 3.0, "8 MiB at 16 Mbit/s took only " + paced + " s");
    assertTrue(paced > 2 * unpaced, "paced " + paced + " s, unpaced " + unpaced + " s");
  }

  private static double backupSeconds(Path dir, Instant at) throws Exception {
    Appliance.Options options = Appliance.Options.defaults().withClock(Clock.fixed(at, ZoneOffset.UTC));
    try (ApplianceFixture fx = new ApplianceFixture(dir, VOLUME_MIB, options, TWO_MEGABYTES_A_SECOND)) {
      LocalVolumeJobs jobs = Await.await(fx.vertx, () -> fx.appliance.volumeJobs(), Duration.ofSeconds(30));
      long start = System.nanoTime();
      BackupResult r = Await.await(fx.vertx, () -> jobs.backup("db"), Duration.ofSeconds(120));
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals((long) VOLUME_MIB << 20, r.bytesRead());
      assertTrue(r.bytesNew() >= (long) VOLUME_MIB << 20, "random data: all of it uploaded, " + r.bytesNew());
      return seconds;
    }
  }
}
