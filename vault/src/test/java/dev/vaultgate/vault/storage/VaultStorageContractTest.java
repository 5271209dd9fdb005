package dev.vaultgate.vault.storage;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link VaultStorage} promises, run against each implementation (restic's backend suite, kopia's
 * VerifyStorage): subclasses only say how to open a fresh, empty storage.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
abstract class VaultStorageContractTest {
  static final String PACK_KEY = "packs/3f/3f9c2a1be4d5f60718293a4b5c6d7e8f";

  protected VaultStorage storage;

  /** A new storage holding no objects. */
  protected abstract VaultStorage newStorage(Vertx vertx) throws Exception;

  @BeforeEach
  void openStorage(Vertx vertx) throws Exception {
    storage = newStorage(vertx);
  }

  @AfterEach
  void closeStorage() {
    storage.close();
  }

  @Test
  void putThenGetReturnsTheSameBytes(VertxTestContext ctx) {
    byte[] data = bytes(1, 4096);
    expect(ctx, storage.put(PACK_KEY, data).compose(v -> storage.get(PACK_KEY)),
        read -> assertArrayEquals(data, read));
  }

  @Test
  void putOfTheStartOfABufferStoresExactlyThoseBytes(VertxTestContext ctx) {
    byte[] buffer = bytes(3, (2 << 20) + 8192); // beyond 1 MiB: the file store writes it with O_DIRECT
    int length = (1 << 20) + 4097; // not a multiple of any alignment
    expect(ctx, storage.put(PACK_KEY, buffer, length, null, false)
            .compose(v -> Future.all(storage.get(PACK_KEY), storage.stat(PACK_KEY))),
        both -> {
          assertArrayEquals(Arrays.copyOf(buffer, length), both.resultAt(0));
          assertEquals(new ObjectInfo(PACK_KEY, length), both.resultAt(1));
        });
  }

  @Test
  void putOfMoreBytesThanTheBufferHoldsIsRefusedInOneLine(VertxTestContext ctx) {
    expectFailure(ctx, storage.put(PACK_KEY, new byte[10], 11, null, false).compose(v -> storage.stat(PACK_KEY)),
        error -> {
          assertTrue(error instanceof IllegalArgumentException, String.valueOf(error));
          assertEquals("cannot write 11 bytes of a 10-byte buffer to " + PACK_KEY, error.getMessage());
        });
  }

  @Test
  void putReplacesAnExistingObject(VertxTestContext ctx) {
    byte[] first = bytes(1, 1000);
    byte[] second = bytes(2, 10);
    expect(ctx, storage.put("config", first)
            .compose(v -> storage.put("config", second))
            .compose(v -> Future.all(storage.get("config"), storage.stat("config"))),
        both -> {
          assertArrayEquals(second, both.resultAt(0));
          assertEquals(new ObjectInfo("config", 10), both.resultAt(1));
        });
  }

  @Test
  void emptyObjectRoundTrips(VertxTestContext ctx) {
    expect(ctx, storage.put("points/empty", new byte[0])
            .compose(v -> Future.all(storage.get("points/empty"), storage.stat("points/empty"),
                storage.getRange("points/empty", 0, 0))),
        all -> {
          assertEquals(0, all.<byte[]>resultAt(0).length);
          assertEquals(0, all.<ObjectInfo>resultAt(1).size());
          assertEquals(0, all.<byte[]>resultAt(2).length);
        });
  }

  @Test
  void largeObjectRoundTrips(VertxTestContext ctx) {
    byte[] data = bytes(3, 20 * 1024 * 1024);
    expect(ctx, storage.put(PACK_KEY, data).compose(v -> storage.get(PACK_KEY)),
        read -> assertArrayEquals(data, read));
  }

  @Test
  void putFromAFileStoresItsFirstLengthBytesAndReplacesAnExistingObject(VertxTestContext ctx) throws Exception {
    byte[] data = bytes(5, (3 << 20) + 17);
    Path file = Files.createTempFile("contract-", ".bin");
    Files.write(file, data);
    int length = data.length - 5; // a prefix: the rest of the file is not the object's
    expect(ctx, storage.put("points/large", bytes(6, 10))
            .compose(v -> storage.putFile("points/large", file, length, null, false))
            .compose(v -> Future.all(storage.get("points/large"), storage.stat("points/large")))
            .onComplete(ar -> file.toFile().delete()),
        both -> {
          assertArrayEquals(Arrays.copyOf(data, length), both.resultAt(0));
          assertEquals(new ObjectInfo("points/large", length), both.resultAt(1));
        });
  }

  @Test
  void putFromAFileShorterThanItsLengthStoresNothing(VertxTestContext ctx) throws Exception {
    Path file = Files.createTempFile("contract-", ".bin");
    Files.write(file, bytes(7, 1000));
    expectFailure(ctx, storage.putFile("points/short", file, 2000, null, false)
            .onComplete(ar -> file.toFile().delete())
            .recover(error -> storage.stat("points/short").transform(stat -> stat.succeeded()
                ? Future.failedFuture(new AssertionError("a short file left an object of " + stat.result().size()))
                : Future.failedFuture(error))),
        error -> assertTrue(error instanceof VaultStorageException && error.getMessage().contains("points/short"),
            String.valueOf(error)));
  }

  @Test
  void rangeReadsReturnTheStartMiddleAndEnd(VertxTestContext ctx) {
    byte[] data = bytes(4, 100_000);
    expect(ctx, storage.put(PACK_KEY, data).compose(v -> Future.all(
            storage.getRange(PACK_KEY, 0, 100),
            storage.getRange(PACK_KEY, 40_000, 12_345),
            storage.getRange(PACK_KEY, 99_000, 1000),
            storage.getRange(PACK_KEY, 100_000, 0))),
        all -> {
          assertArrayEquals(slice(data, 0, 100), all.resultAt(0));
          assertArrayEquals(slice(data, 40_000, 12_345), all.resultAt(1));
          assertArrayEquals(slice(data, 99_000, 1000), all.resultAt(2));
          assertEquals(0, all.<byte[]>resultAt(3).length);
        });
  }

  @Test
  void rangeReadsIntoACallersBufferFillOnlyTheRangeAndTheBufferIsReusable(VertxTestContext ctx) {
    byte[] data = bytes(6, 3 * 1024 * 1024 + 17);
    byte[] into = new byte[3 * 1024 * 1024];
    java.util.Arrays.fill(into, (byte) 0x5a);
    expect(ctx, storage.put(PACK_KEY, data)
            .compose(v -> storage.getRangeInto(PACK_KEY, 5, 2 * 1024 * 1024 + 3, into))
            .map(n -> {
              assertEquals(2 * 1024 * 1024 + 3, n);
              assertArrayEquals(slice(data, 5, 2 * 1024 * 1024 + 3), slice(into, 0, 2 * 1024 * 1024 + 3));
              assertEquals((byte) 0x5a, into[2 * 1024 * 1024 + 3]);
              return n;
            })
            .compose(n -> storage.getRangeInto(PACK_KEY, data.length - 1000, 1000, into)),
        n -> {
          assertEquals(1000, n);
          assertArrayEquals(slice(data, data.length - 1000, 1000), slice(into, 0, 1000));
        });
  }

  @Test
  void rangeReadPastEndFails(VertxTestContext ctx) {
    expect(ctx, storage.put(PACK_KEY, bytes(5, 1000))
            .compose(v -> storage.getRange(PACK_KEY, 900, 101))
            .map(bytes -> "read " + bytes.length + " bytes")
            .otherwise(error -> rangeFailure(error)),
        result -> assertEquals("ok", result));
  }

  @Test
  void rangeReadStartingPastEndFails(VertxTestContext ctx) {
    expect(ctx, storage.put(PACK_KEY, bytes(5, 1000))
            .compose(v -> storage.getRange(PACK_KEY, 1500, 10))
            .map(bytes -> "read " + bytes.length + " bytes")
            .otherwise(error -> rangeFailure(error)),
        result -> assertEquals("ok", result));
  }

  /** "ok" when the error is the one a range past the end must give, else what is wrong with it. */
  private String rangeFailure(Throwable error) {
    if (!(error instanceof VaultStorageException e) || error instanceof ObjectNotFoundException) {
      return "wrong error: " + error;
    }
    if (e.isRetryable()) {
      return "retryable: " + e.getMessage();
    }
    if (!e.getMessage().contains(PACK_KEY) || !e.getMessage().contains(storage.describe())) {
      return "message names neither key nor vault: " + e.getMessage();
    }
    return "ok";
  }

  @Test
  void statGivesTheSize(VertxTestContext ctx) {
    expect(ctx, storage.put(PACK_KEY, bytes(6, 1234)).compose(v -> storage.stat(PACK_KEY)),
        info -> assertEquals(new ObjectInfo(PACK_KEY, 1234), info));
  }

  @Test
  void statOfMissingObjectFailsWithNotFound(VertxTestContext ctx) {
    expectFailure(ctx, storage.stat("points/missing"), error -> assertNotFound("points/missing", error));
  }

  @Test
  void getOfMissingObjectFailsWithNotFound(VertxTestContext ctx) {
    expectFailure(ctx, storage.get("points/missing"), error -> assertNotFound("points/missing", error));
  }

  @Test
  void rangeReadOfMissingObjectFailsWithNotFound(VertxTestContext ctx) {
    expectFailure(ctx, storage.getRange(PACK_KEY, 0, 10), error -> assertNotFound(PACK_KEY, error));
  }

  @Test
  void listReturnsTheObjectsUnderAPrefix(VertxTestContext ctx) {
    expect(ctx, Future.all(List.of(
                storage.put("config", bytes(1, 7)),
                storage.put("packs/3f/3f01", bytes(2, 10)),
                storage.put("packs/3f/3f02", bytes(3, 20)),
                storage.put("packs/40/4001", bytes(4, 30)),
                storage.put("index/0001", bytes(5, 40))))
            .compose(v -> Future.all(storage.list("packs/"), storage.list("packs/3"), storage.list("packs/3f/3f02"),
                storage.list(""), storage.list("nothing/"))),
        all -> {
          assertEquals(List.of(new ObjectInfo("packs/3f/3f01", 10), new ObjectInfo("packs/3f/3f02", 20),
              new ObjectInfo("packs/40/4001", 30)), sorted(all.resultAt(0)));
          assertEquals(List.of(new ObjectInfo("packs/3f/3f01", 10), new ObjectInfo("packs/3f/3f02", 20)),
              sorted(all.resultAt(1)));
          assertEquals(List.of(new ObjectInfo("packs/3f/3f02", 20)), sorted(all.resultAt(2)));
          assertEquals(List.of("config", "index/0001", "packs/3f/3f01", "packs/3f/3f02", "packs/40/4001"),
              keys(all.resultAt(3)));
          assertEquals(List.of(), all.resultAt(4));
        });
  }

  @Test
  void listReturnsMoreThanAThousandKeys(VertxTestContext ctx) {
    // S3 pages hold 1000 keys: 1100 make the listing continue once.
    List<String> expected = IntStream.range(0, 1100).mapToObj(i -> String.format("index/%04d", i)).toList();
    expect(ctx, putAll(expected, 64)
            .compose(v -> storage.put("config", new byte[1]))
            .compose(v -> storage.list("index/")),
        found -> assertEquals(expected, keys(found)));
  }

  @Test
  void deleteRemovesTheObject(VertxTestContext ctx) {
    expect(ctx, storage.put(PACK_KEY, bytes(7, 10))
            .compose(v -> storage.delete(PACK_KEY))
            .compose(v -> storage.list("packs/"))
            .compose(listed -> storage.stat(PACK_KEY)
                .map(info -> "still there: " + info)
                .otherwise(error -> error instanceof ObjectNotFoundException ? "gone, listed " + listed : error.toString())),
        result -> assertEquals("gone, listed []", result));
  }

  @Test
  void deleteOfMissingObjectSucceeds(VertxTestContext ctx) {
    expect(ctx, storage.delete("points/never-was").map("deleted"), result -> assertEquals("deleted", result));
  }

  @Test
  void badKeysAreRejected(VertxTestContext ctx) {
    List<String> badKeys = List.of("../escape", "packs/../../escape", "/etc/passwd", "packs\\3f", "packs//3f", "packs/",
        "./config", "");
    List<Future<String>> checks = new ArrayList<>();
    for (String key : badKeys) {
      checks.add(rejects(key, () -> storage.put(key, new byte[1])));
      checks.add(rejects(key, () -> storage.get(key)));
      checks.add(rejects(key, () -> storage.getRange(key, 0, 1)));
      checks.add(rejects(key, () -> storage.stat(key)));
      checks.add(rejects(key, () -> storage.delete(key)));
    }
    checks.add(rejects("../", () -> storage.list("../")));
    expect(ctx, Future.all(checks), all -> {
      List<String> wrong = all.<String>list().stream().filter(s -> !s.equals("rejected")).toList();
      assertEquals(List.of(), wrong);
    });
  }

  private static <T> Future<String> rejects(String key, Supplier<Future<T>> call) {
    Future<T> result;
    try {
      result = call.get();
    } catch (RuntimeException thrown) {
      return Future.succeededFuture("'" + key + "' threw instead of failing the future: " + thrown);
    }
    return result.map(v -> "'" + key + "' accepted")
        .otherwise(error -> error instanceof IllegalArgumentException && error.getMessage().contains("'" + key + "'")
            ? "rejected"
            : "'" + key + "' failed otherwise: " + error);
  }

  @Test
  void futuresCompleteOnTheCallersContext(Vertx vertx, VertxTestContext ctx) {
    Context context = vertx.getOrCreateContext();
    context.runOnContext(start -> storage.put("config", bytes(8, 100))
        .compose(v -> {
          ctx.verify(() -> assertSame(context, Vertx.currentContext(), "put"));
          return storage.getRange("config", 10, 10);
        })
        .compose(v -> {
          ctx.verify(() -> assertSame(context, Vertx.currentContext(), "getRange"));
          return storage.list("");
        })
        .compose(v -> {
          ctx.verify(() -> assertSame(context, Vertx.currentContext(), "list"));
          return storage.stat("missing");
        })
        .onComplete(result -> ctx.verify(() -> {
          assertTrue(result.failed());
          assertSame(context, Vertx.currentContext(), "stat of a missing object");
          ctx.completeNow();
        })));
  }

  @Test
  void describeNamesWhereTheVaultIs() {
    assertFalse(storage.describe().isBlank());
    assertTrue(storage.describe().matches("(s3|file)://.+"), storage.describe());
  }

  // --- helpers ---------------------------------------------------------------------------------------------

  /** Puts each key (its bytes are the key), at most {@code parallel} at once. */
  protected Future<Void> putAll(List<String> keys, int parallel) {
    Future<Void> done = Future.succeededFuture();
    for (int start = 0; start < keys.size(); start += parallel) {
      List<String> batch = keys.subList(start, Math.min(keys.size(), start + parallel));
      done = done.compose(v -> Future.all(batch.stream().map(k -> storage.put(k, k.getBytes())).toList()).mapEmpty());
    }
    return done;
  }

  protected static <T> void expect(VertxTestContext ctx, Future<T> future, Consumer<T> assertions) {
    future.onComplete(ctx.succeeding(value -> ctx.verify(() -> {
      assertions.accept(value);
      ctx.completeNow();
    })));
  }

  protected static void expectFailure(VertxTestContext ctx, Future<?> future, Consumer<Throwable> assertions) {
    future.onComplete(ctx.failing(error -> ctx.verify(() -> {
      assertions.accept(error);
      ctx.completeNow();
    })));
  }

  protected void assertNotFound(String key, Throwable error) {
    ObjectNotFoundException notFound = assertInstanceOf(ObjectNotFoundException.class, error);
    assertEquals(key, notFound.key());
    assertFalse(notFound.isRetryable());
    assertTrue(notFound.getMessage().contains(storage.describe()), notFound.getMessage());
  }

  protected static byte[] bytes(long seed, int size) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  private static byte[] slice(byte[] data, int offset, int length) {
    byte[] part = new byte[length];
    System.arraycopy(data, offset, part, 0, length);
    return part;
  }

  private static List<ObjectInfo> sorted(List<ObjectInfo> infos) {
    return infos.stream().sorted(Comparator.comparing(ObjectInfo::key)).toList();
  }

  private static List<String> keys(List<ObjectInfo> infos) {
    return infos.stream().map(ObjectInfo::key).sorted().collect(Collectors.toList());
  }
}
