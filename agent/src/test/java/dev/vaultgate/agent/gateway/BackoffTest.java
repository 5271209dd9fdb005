package dev.vaultgate.agent.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void waitsDoubleFromTheFirstUpToTheMaximumAndASuccessResetsThem() {
    Backoff b = new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(10));
    assertEquals(Duration.ofSeconds(1), b.failed());
    assertEquals(Duration.ofSeconds(2), b.failed());
    assertEquals(Duration.ofSeconds(4), b.failed());
    assertEquals(Duration.ofSeconds(8), b.failed());
    assertEquals(Duration.ofSeconds(10), b.failed());
    for (int i = 0; i < 100; i++) {
      assertEquals(Duration.ofSeconds(10), b.failed(), "no overflow after many failures");
    }
    assertEquals(Duration.ofSeconds(5), b.succeeded());
    assertEquals(0, b.failures());
    assertEquals(Duration.ofSeconds(1), b.failed());
  }

  @Test
  void aMaximumBelowTheFirstWaitIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(1)));
  }
}
