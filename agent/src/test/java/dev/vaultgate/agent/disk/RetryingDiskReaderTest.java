package dev.vaultgate.agent.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryingDiskReaderTest {

  /** Fails the first {@code failures} reads with {@code error}, then reads ones. */
  private static final class Flaky implements DiskReader {
    final AtomicInteger calls = new AtomicInteger();
    final int failures;
    final IOException error;

    Flaky(int failures, IOException error) {
      this.failures = failures;
      this.error = error;
    }

    @Override
    public int read(long position, byte[] buf, int off, int len) throws IOException {
      if (calls.incrementAndGet() <= failures) {
        throw error;
      }
      Arrays.fill(buf, off, off + len, (byte) 1);
      return len;
    }

    @Override
    public String describe() {
      return "flaky disk";
    }

    @Override
    public void close() {
    }
  }

  @Test
  void aReadThatFailsTwiceSucceedsOnTheThirdAttempt() throws IOException {
    Flaky flaky = new Flaky(2, new IOException("connection reset"));
    byte[] buf = new byte[10];
    assertEquals(10, new RetryingDiskReader(flaky, 3, Duration.ofMillis(1)).read(0, buf, 0, 10));
    assertEquals(3, flaky.calls.get());
    assertEquals(1, buf[9]);
  }

  @Test
  void aReadThatKeepsFailingGivesUpWithTheLastErrorAndTheCount() {
    Flaky flaky = new Flaky(100, new IOException("connection reset"));
    IOException e = assertThrows(IOException.class, () -> new RetryingDiskReader(flaky, 3, Duration.ofMillis(1)).read(0, new byte[1], 0, 1));
    assertEquals("connection reset (gave up after 3 attempts)", e.getMessage());
    assertEquals(3, flaky.calls.get());
  }

  @Test
  void aMissingFileIsNotRetried() {
    Flaky flaky = new Flaky(100, new FileNotFoundException("no such file"));
    assertThrows(FileNotFoundException.class, () -> new RetryingDiskReader(flaky, 5, Duration.ofMillis(1)).read(0, new byte[1], 0, 1));
    assertEquals(1, flaky.calls.get());
  }
}
