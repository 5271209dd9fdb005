package dev.vaultgate.vault.storage;

import dev.vaultgate.vault.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The storage contract holds through the cache (here caching {@code packs/}, the prefix the contract uses most), and
 * the cache saves the GETs it should, heals a damaged copy and forgets what the storage no longer lists. The storage
 * behind it is a real directory; the only double is a GET counter around it.
 */
class CachingVaultStorageTest extends VaultStorageContractTest {
  @TempDir
  Path dir;

  @Override
  protected VaultStorage newStorage(Vertx vertx) throws Exception {
    return new CachingVaultStorage(vertx, new FileVaultStorage(vertx, Files.createDirectories(dir.resolve("vault"))),
        dir.resolve("cache"), "packs/");
  }

  /** Counts the GETs that reach the storage behind the cache. */
  private static final class CountingGets extends ForwardingVaultStorage {
    final AtomicInteger gets = new AtomicInteger();

    CountingGets(VaultStorage delegate) {
      super(delegate);
    }

    @Override
    public Future<byte[]> get(String key) {
      gets.incrementAndGet();
      return delegate.get(key);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private CountingGets behind(Vertx vertx) throws Exception {
    return new CountingGets(new FileVaultStorage(vertx, Files.createDirectories(dir.resolve("vault"))));
  }

  private CachingVaultStorage cached(Vertx vertx, VaultStorage behind) {
    return new CachingVaultStorage(vertx, behind, dir.resolve("cache"), "index/");
  }

  @Test
  void anObjectReadOnceIsReadFromTheCopyByTheNextOpenWhileOtherPrefixesAlwaysGoToTheStorage(Vertx vertx) throws Exception {
    CountingGets first = behind(vertx);
    Await.await(vertx, () -> first.put("index/seg1", bytes("segment one")).compose(v -> first.put("points/p1", bytes("point"))));
    try (CachingVaultStorage one = cached(vertx, first)) {
      assertArrayEquals(bytes("segment one"), Await.await(vertx, () -> one.get("index/seg1")));
      assertArrayEquals(bytes("point"), Await.await(vertx, () -> one.get("points/p1")));
      assertEquals(2, first.gets.get());
    }
    CountingGets second = behind(vertx);
    try (CachingVaultStorage two = cached(vertx, second)) {
      assertArrayEquals(bytes("segment one"), Await.await(vertx, () -> two.get("index/seg1")));
      assertArrayEquals(bytes("point"), Await.await(vertx, () -> two.get("points/p1")));
      assertEquals(1, second.gets.get(), "only the point went to the storage");
    }
  }

  @Test
  void whatThisStorageWritesIsCachedAsItIsWritten(Vertx vertx) throws Exception {
    CountingGets storage = behind(vertx);
    try (CachingVaultStorage cache = cached(vertx, storage)) {
      byte[] buffer = bytes("a segment in a reused buffer, with more behind it");
      Await.await(vertx, () -> cache.put("index/seg2", buffer, 12, null, false));
      assertArrayEquals(bytes("a segment in"), Await.await(vertx, () -> cache.get("index/seg2")));
      assertEquals(0, storage.gets.get());
      assertArrayEquals(bytes("a segment in"), Await.await(vertx, () -> storage.get("index/seg2")), "the storage has it too");
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("cache"))),
          "the cache is its owner's only");
    }
  }

  @Test
  void aDamagedOrTruncatedCopyIsFetchedAgainAndRepaired(Vertx vertx) throws Exception {
    CountingGets storage = behind(vertx);
    Await.await(vertx, () -> storage.put("index/seg3", bytes("the real segment")).compose(v -> storage.put("index/seg4", bytes("another"))));
    try (CachingVaultStorage cache = cached(vertx, storage)) {
      Await.await(vertx, () -> cache.get("index/seg3").compose(v -> cache.get("index/seg4")));
      Path copy3 = dir.resolve("cache/index/seg3");
      byte[] damaged = Files.readAllBytes(copy3);
      damaged[2] ^= 0x10;
      Files.write(copy3, damaged);
      Files.write(dir.resolve("cache/index/seg4"), new byte[] {1, 2});
      storage.gets.set(0);
      assertArrayEquals(bytes("the real segment"), Await.await(vertx, () -> cache.get("index/seg3")));
      assertArrayEquals(bytes("another"), Await.await(vertx, () -> cache.get("index/seg4")));
      assertEquals(2, storage.gets.get(), "both damaged copies were fetched again");
      Await.await(vertx, () -> cache.get("index/seg3").compose(v -> cache.get("index/seg4")));
      assertEquals(2, storage.gets.get(), "and repaired");
    }
  }

  @Test
  void listingThePrefixForgetsCopiesOfDeletedObjectsAndAbandonedTemporaryFiles(Vertx vertx) throws Exception {
    CountingGets storage = behind(vertx);
    try (CachingVaultStorage cache = cached(vertx, storage)) {
      Await.await(vertx, () -> cache.put("index/kept", bytes("kept")).compose(v -> cache.put("index/gone", bytes("gone"))));
      Await.await(vertx, () -> storage.delete("index/gone")); // by another process: gc
      Path fresh = Files.writeString(dir.resolve("cache/index/kept.tmp-1"), "being written");
      Path abandoned = Files.writeString(dir.resolve("cache/index/kept.tmp-2"), "left by a crash");
      Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minusSeconds(2 * 3600)));
      List<ObjectInfo> listed = Await.await(vertx, () -> cache.list("index/"));
      assertEquals(List.of("index/kept"), listed.stream().map(ObjectInfo::key).toList());
      try (Stream<Path> files = Files.list(dir.resolve("cache/index"))) {
        assertEquals(List.of("kept", "kept.tmp-1"), files.map(p -> p.getFileName().toString()).sorted().toList());
      }
      assertTrue(Files.exists(fresh));
      Await.await(vertx, () -> cache.delete("index/kept"));
      assertFalse(Files.exists(dir.resolve("cache/index/kept")), "a delete drops the copy");
      assertThrows(ObjectNotFoundException.class, () -> Await.await(vertx, () -> cache.get("index/kept")));
    }
  }

  @Test
  void aCacheDirectoryThatCannotBeWrittenCostsOnlyTheRequests(Vertx vertx) throws Exception {
    Files.writeString(dir.resolve("cache"), "a file where the cache directory should be");
    CountingGets storage = behind(vertx);
    try (CachingVaultStorage cache = cached(vertx, storage)) {
      Await.await(vertx, () -> cache.put("index/seg5", bytes("five")));
      assertArrayEquals(bytes("five"), Await.await(vertx, () -> cache.get("index/seg5")));
      assertArrayEquals(bytes("five"), Await.await(vertx, () -> cache.get("index/seg5")));
      assertEquals(2, storage.gets.get());
      assertEquals(List.of("index/seg5"), Await.await(vertx, () -> cache.list("index/")).stream().map(ObjectInfo::key).toList());
    }
  }
}
