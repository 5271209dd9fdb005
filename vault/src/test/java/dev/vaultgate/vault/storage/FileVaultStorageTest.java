package dev.vaultgate.vault.storage;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The storage contract on a local directory, and what only a directory can get wrong. */
class FileVaultStorageTest extends VaultStorageContractTest {
  @TempDir
  Path dir;

  @Override
  protected VaultStorage newStorage(Vertx vertx) {
    return new FileVaultStorage(vertx, dir);
  }

  /**
   * Packs (1 MiB and more) are written with O_DIRECT in aligned, zero-padded pieces and truncated to their length;
   * a file system that refuses O_DIRECT (tmpfs) gets buffered writes. Either way the object reads back exactly,
   * whatever its length, and no temp file stays behind.
   */
  @Test
  void largeObjectsOfUnalignedLengthReadBackExactlyWithAndWithoutDirectWrites(Vertx vertx) throws Exception {
    List<Path> roots = new java.util.ArrayList<>(List.of(dir));
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      roots.add(Files.createTempDirectory(shm, "vaultgate-test-"));
    }
    for (Path root : roots) {
      VaultStorage files = new FileVaultStorage(vertx, root);
      try {
        for (int length : new int[] {FileVaultStorage.DIRECT_MIN_BYTES, (3 << 20) + 123, (16 << 20) + 4097}) {
          byte[] data = new byte[length];
          new java.util.Random(length).nextBytes(data);
          String key = "packs/3f/3f9c2a1be4d5f60718293a4b5c6d7e" + Integer.toHexString(length & 0xff | 0x10);
          dev.vaultgate.vault.Await.await(vertx, () -> files.put(key, data));
          byte[] back = dev.vaultgate.vault.Await.await(vertx, () -> files.get(key));
          org.junit.jupiter.api.Assertions.assertArrayEquals(data, back, length + " bytes in " + root);
          assertEquals(length, Files.size(root.resolve(key)));
          byte[] range = dev.vaultgate.vault.Await.await(vertx, () -> files.getRange(key, length - 5000, 5000));
          org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.Arrays.copyOfRange(data, length - 5000, length), range);
        }
        try (Stream<Path> all = Files.walk(root)) {
          assertEquals(List.of(), all.filter(p -> p.toString().endsWith(".vgtmp")).toList(), "temp files left in " + root);
        }
      } finally {
        files.close();
        if (!root.equals(dir)) {
          try (Stream<Path> all = Files.walk(root)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          }
        }
      }
    }
  }

  @Test
  void describeIsAFileUrl() {
    assertEquals("file://" + dir.toAbsolutePath(), storage.describe());
  }

  @Test
  void missingRootFailsAsUnavailable(Vertx vertx, VertxTestContext ctx) {
    Path missing = dir.resolve("no-such-vault");
    VaultStorage gone = new FileVaultStorage(vertx, missing);
    expectFailure(ctx, gone.put("config", new byte[1]).eventually(() -> {
      gone.close();
      return io.vertx.core.Future.succeededFuture();
    }), error -> {
      StorageUnavailableException unavailable = assertInstanceOf(StorageUnavailableException.class, error);
      assertFalse(unavailable.isRetryable());
      assertTrue(unavailable.getMessage().contains("vault directory " + missing + " does not exist"), unavailable.getMessage());
      assertTrue(unavailable.getMessage().contains("config"), unavailable.getMessage());
      assertFalse(Files.exists(missing), "a put must not create the vault directory");
    });
  }

  @Test
  void missingRootFailsReadsAsUnavailableNotAsMissingObject(Vertx vertx, VertxTestContext ctx) {
    VaultStorage gone = new FileVaultStorage(vertx, dir.resolve("no-such-vault"));
    expectFailure(ctx, gone.get("config"),
        error -> assertInstanceOf(StorageUnavailableException.class, error));
  }

  @Test
  void keysWithSlashesAreSubdirectories(VertxTestContext ctx) {
    expect(ctx, storage.put(PACK_KEY, new byte[] {1, 2, 3}), v -> {
      assertTrue(Files.isRegularFile(dir.resolve("packs").resolve("3f").resolve(PACK_KEY.substring(9))));
      assertEquals(List.of(PACK_KEY.substring(9)), filesIn(dir.resolve("packs/3f")));
    });
  }

  @Test
  void leftoverTempFilesAreNotListed(VertxTestContext ctx) throws Exception {
    // A crash between write and rename leaves a temp file beside the target.
    Files.createDirectories(dir.resolve("index"));
    Files.write(dir.resolve("index/.0001.123456.vgtmp"), new byte[10]);
    expect(ctx, storage.put("index/0001", new byte[5]).compose(v -> storage.list("index/")),
        found -> assertEquals(List.of(new ObjectInfo("index/0001", 5)), found));
  }

  @Test
  void aKeyInTheWayOfADirectoryFailsWithoutRetry(VertxTestContext ctx) {
    expectFailure(ctx, storage.put("packs", new byte[1]).compose(v -> storage.put("packs/3f/x", new byte[1])), error -> {
      VaultStorageException e = assertInstanceOf(VaultStorageException.class, error);
      assertFalse(e.isRetryable(), e.getMessage());
      assertTrue(e.getMessage().startsWith("cannot write packs/3f/x to " + storage.describe()), e.getMessage());
    });
  }

  private static List<String> filesIn(Path directory) {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
