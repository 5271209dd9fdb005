package dev.vaultgate.vault.storage;

import dev.vaultgate.vault.testing.FaultyVaultStorage;
import dev.vaultgate.vault.testing.FaultyVaultStorage.Operation;
import dev.vaultgate.vault.testing.FaultyVaultStorage.ReadCut;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.vaultgate.vault.storage.VaultStorageContractTest.bytes;
import static dev.vaultgate.vault.storage.VaultStorageContractTest.expect;
import static dev.vaultgate.vault.storage.VaultStorageContractTest.expectFailure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retry decides by {@link VaultStorageException#isRetryable()} alone. Faults come from {@link FaultyVaultStorage}
 * over a real directory; a second, fault-free FaultyVaultStorage underneath counts what reached the disk.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class RetryingVaultStorageTest {
  private static final Duration FAST = Duration.ofMillis(5);

  @TempDir
  Path dir;

  FaultyVaultStorage stored;
  FaultyVaultStorage faulty;

  @BeforeEach
  void setUp(Vertx vertx) {
    stored = new FaultyVaultStorage(vertx, new FileVaultStorage(vertx, dir));
    faulty = new FaultyVaultStorage(vertx, stored);
  }

  @AfterEach
  void tearDown() {
    faulty.close();
  }

  @Test
  void transientFailureOfSecondPutIsRetriedAndTheObjectStoredOnce(Vertx vertx, VertxTestContext ctx) {
    VaultStorage retrying = new RetryingVaultStorage(vertx, faulty.failNthPut(2, true), 5, FAST);
    byte[] first = bytes(1, 1000);
    byte[] second = bytes(2, 2000);
    expect(ctx, retrying.put("packs/aa/first", first)
            .compose(v -> retrying.put("packs/bb/second", second))
            .compose(v -> Future.all(retrying.get("packs/bb/second"), retrying.list(""))),
        all -> {
          assertArrayEquals(second, all.resultAt(0));
          assertEquals(2, all.<List<ObjectInfo>>resultAt(1).size());
          assertEquals(3, faulty.calls(Operation.PUT), "two puts and one retry");
          assertEquals(2, stored.calls(Operation.PUT), "the failed attempt never reached the disk");
        });
  }

  @Test
  void nonRetryableFailureIsNotRetried(Vertx vertx, VertxTestContext ctx) {
    VaultStorage retrying = new RetryingVaultStorage(vertx, faulty.failNthPut(1, false), 5, FAST);
    expectFailure(ctx, retrying.put("config", new byte[1]), error -> {
      VaultStorageException e = assertInstanceOf(VaultStorageException.class, error);
      assertFalse(e.isRetryable());
      assertEquals(1, faulty.calls(Operation.PUT));
      assertEquals(0, stored.calls(Operation.PUT));
    });
  }

  @Test
  void missingObjectIsNotRetried(Vertx vertx, VertxTestContext ctx) {
    VaultStorage retrying = new RetryingVaultStorage(vertx, faulty, 5, FAST);
    expectFailure(ctx, retrying.get("points/missing"), error -> {
      assertInstanceOf(ObjectNotFoundException.class, error);
      assertEquals(1, faulty.calls(Operation.GET));
    });
  }

  @Test
  void exhaustedAttemptsFailWithTheOriginalMessage(Vertx vertx, VertxTestContext ctx) {
    VaultStorage retrying = new RetryingVaultStorage(vertx, faulty.failPutsAfter(0, true), 3, FAST);
    expectFailure(ctx, retrying.put("index/0001", new byte[1]), error -> {
      VaultStorageException e = assertInstanceOf(VaultStorageException.class, error);
      assertEquals("cannot write index/0001 to " + faulty.describe() + ": put #3 failed (injected fault)",
          e.getMessage());
      assertTrue(e.isRetryable(), "passed on unchanged");
      assertEquals(3, faulty.calls(Operation.PUT));
      assertEquals(0, stored.calls(Operation.PUT));
    });
  }

  @Test
  void readCutHalfwayIsRetriedAndReturnsAllBytes(Vertx vertx, VertxTestContext ctx) {
    VaultStorage retrying = new RetryingVaultStorage(vertx, faulty.cutNthRead(1, ReadCut.FAIL), 5, FAST);
    byte[] data = bytes(3, 10_000);
    expect(ctx, retrying.put("config", data).compose(v -> retrying.getRange("config", 100, 5000)), read -> {
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 100, 5100), read);
      assertEquals(2, faulty.reads());
    });
  }

  @Test
  void truncatedReadIsNotAFailureSoTheLayerAboveMustCatchIt(Vertx vertx, VertxTestContext ctx) {
    VaultStorage retrying = new RetryingVaultStorage(vertx, faulty.cutNthRead(1, ReadCut.TRUNCATE), 5, FAST);
    expect(ctx, retrying.put("config", new byte[100]).compose(v -> retrying.get("config")), read -> {
      assertEquals(50, read.length);
      assertEquals(1, faulty.reads());
    });
  }

  @Test
  void lostReplyIsRetriedAndTheObjectStaysWhole(Vertx vertx, VertxTestContext ctx) {
    VaultStorage retrying = new RetryingVaultStorage(vertx, faulty.loseNthPutReply(1), 5, FAST);
    byte[] data = bytes(4, 3000);
    expect(ctx, retrying.put("config", data).compose(v -> retrying.get("config")), read -> {
      assertArrayEquals(data, read);
      assertEquals(2, stored.calls(Operation.PUT), "stored, then stored again by the retry");
    });
  }

  @Test
  void backoffWaitsLongerBeforeEachAttempt(Vertx vertx, VertxTestContext ctx) {
    // Equal jitter: at least half of 100 ms, then half of 200 ms.
    VaultStorage retrying = new RetryingVaultStorage(vertx, faulty.failPutsAfter(0, true), 3,
        Duration.ofMillis(100));
    long start = System.nanoTime();
    expectFailure(ctx, retrying.put("config", new byte[1]), error -> {
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(elapsedMs >= 150, "retried after " + elapsedMs + " ms");
      assertEquals(3, faulty.calls(Operation.PUT));
    });
  }

  @Test
  void retriesCompleteOnTheCallersContext(Vertx vertx, VertxTestContext ctx) {
    VaultStorage retrying = new RetryingVaultStorage(vertx, faulty.failNthPut(1, true), 5, FAST);
    io.vertx.core.Context context = vertx.getOrCreateContext();
    context.runOnContext(go -> retrying.put("config", new byte[1]).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertSame(context, Vertx.currentContext());
      ctx.completeNow();
    }))));
  }

  @Test
  void slowAnswersAreWaitedForNotRetried(Vertx vertx, VertxTestContext ctx) {
    VaultStorage retrying = new RetryingVaultStorage(vertx, faulty.delay(Duration.ofMillis(200)), 5, FAST);
    AtomicReference<Long> start = new AtomicReference<>(System.nanoTime());
    expect(ctx, retrying.put("config", new byte[1]), v -> {
      assertTrue(System.nanoTime() - start.get() >= TimeUnit.MILLISECONDS.toNanos(200));
      assertEquals(1, faulty.calls(Operation.PUT));
    });
  }

  @Test
  void describeIsTheDelegates(Vertx vertx) {
    assertEquals("file://" + dir.toAbsolutePath(), new RetryingVaultStorage(vertx, faulty).describe());
  }
}
