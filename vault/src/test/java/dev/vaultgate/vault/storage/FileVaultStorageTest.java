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
