package dev.vaultgate.appliance.runtime;

import org.junit.jupiter.api.Test;

import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JobProgressTest {
  @Test
  void throughputAndEtaFollowFromBytesAndTime() {
    assertEquals(50_000_000, JobProgress.bytesPerSecond(100_000_000, 2_000_000_000L));
    assertEquals(OptionalLong.of(18), JobProgress.secondsLeft(100_000_000, 1_000_000_000, 2_000_000_000L));
    assertEquals(10, JobProgress.percent(100, 1000));
    assertEquals(100, JobProgress.percent(2000, 1000), "never past 100");
  }

  @Test
  void nothingDoneYetHasNoRateAndNoEta() {
    assertEquals(0, JobProgress.bytesPerSecond(0, 1_000_000_000L));
    assertEquals(OptionalLong.empty(), JobProgress.secondsLeft(0, 1000, 1_000_000_000L));
    assertEquals(OptionalLong.empty(), JobProgress.secondsLeft(10, 0, 1_000_000_000L));
    assertEquals(0, JobProgress.percent(5, 0));
  }
}
