package dev.vaultgate.agent.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BandwidthLimiterTest {
  @Test
  void readsQueueOnOneTimelineAtTheRateAndANewRateAppliesAtOnce() {
    AtomicLong rate = new AtomicLong(1000);
    BandwidthLimiter l = new BandwidthLimiter(rate::get);
    assertEquals(0, l.reserve(500, 0), "the first read goes at once");
    assertEquals(500_000_000L, l.reserve(500, 0), "the next waits for the first's half second");
    assertEquals(0, l.reserve(100, 2_000_000_000L), "after an idle time, at once again");
    rate.set(0);
    assertEquals(0, l.reserve(1_000_000, 2_000_000_000L), "no limit");
    assertEquals(0, l.reserve(1_000_000, 2_000_000_000L));
  }
}
