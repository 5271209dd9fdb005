package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.copy.CopyJob;
import dev.vaultgate.vault.copy.CopyResult;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.storage.VaultStorages;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;

/** {@code vaultgate copy}: a recovery point into another vault (another bucket, region or account). */
@Command(name = "copy", mixinStandardHelpOptions = true,
    description = {"Copy a recovery point into another vault.",
        "Chunks are re-encrypted under the destination's keys; only those the destination lacks are written.",
        "An interrupted copy can be run again: it writes only what is still missing."})
final class CopyCommand implements Callable<Integer> {
  @Option(names = "--from", required = true, paramLabel = "URL", description = "The source vault (file:///dir or s3://bucket...).")
  String from;

  @Option(names = "--to", required = true, paramLabel = "URL", description = "The destination vault.")
  String to;

  @Option(names = "--point", required = true, paramLabel = "ID", description = "The recovery point to copy.")
  String pointId;

  @Option(names = "--master-key", paramLabel = "FILE",
      description = "The master key of both vaults (default: $VAULTGATE_MASTER_KEY, else ~/.config/vaultgate/master.key).")
  Path masterKey;

  @Option(names = "--to-master-key", paramLabel = "FILE", description = "The destination's master key, when it has its own.")
  Path toMasterKey;

  @Option(names = "--retain-until", paramLabel = "TIME",
      description = "Locked destination: retain the copy until this instant (ISO-8601); default the lock's minimum.")
  String retainUntil;

  @Option(names = "--json", description = "Print a JSON object as the last line.")
  boolean json;

  @Mixin
  CacheOptions cache = new CacheOptions();

  @Override
  public Integer call() {
    VaultLocation source = VaultLocation.parse(from);
    VaultLocation destination = VaultLocation.parse(to);
    Instant until;
    try {
      until = retainUntil == null ? null : Instant.parse(retainUntil);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("--retain-until '" + retainUntil + "' is no ISO-8601 instant (e.g. 2031-01-01T00:00:00Z)");
    }
    VaultOptions keys = new VaultOptions();
    keys.masterKey = masterKey;
    LocalKeyWrapper sourceKey = keys.loadKey();
    LocalKeyWrapper destinationKey = sourceKey;
    if (toMasterKey != null) {
      if (!Files.exists(toMasterKey)) {
        throw new IllegalArgumentException("master key " + toMasterKey + " (--to-master-key) does not exist");
      }
      destinationKey = LocalKeyWrapper.load(toMasterKey);
    }
    LocalKeyWrapper destinationWrapper = destinationKey;
    Vertx vertx = VaultgateCli.newVertx();
    CopyResult r;
    // Both vaults open without their indexes: the job reads them under its locks, so that each is listed once.
    try (VaultStorage sourceStorage = cache.wrap(vertx, VaultStorages.open(vertx, source), source, from);
         VaultStorage destinationStorage = cache.wrap(vertx, VaultStorages.open(vertx, destination), destination, to)) {
      r = Await.await(vertx, () -> Repository.openWithoutIndex(vertx, sourceStorage, sourceKey).compose(src ->
          Repository.openWithoutIndex(vertx, destinationStorage, destinationWrapper).compose(dest ->
                  CopyJob.run(src, dest, pointId, CopyJob.Options.defaults().withRetainUntil(until)
                          .withProgress(ProgressBar.forStderr("copy")))
                      .eventually(() -> {
                        dest.close();
                        return Future.succeededFuture();
                      }))
              .eventually(() -> {
                src.close();
                return Future.succeededFuture();
              })));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
    if (json) {
      System.out.println(new JsonObject()
          .put("sourcePointId", r.sourcePointId())
          .put("destinationPointId", r.destinationPointId())
          .put("alreadyCopied", r.alreadyCopied())
          .put("size", r.size())
          .put("chunksRead", r.chunksRead())
          .put("chunksCopied", r.chunksCopied())
          .put("bytesRead", r.bytesRead())
          .put("bytesWritten", r.bytesWritten())
          .put("seconds", r.seconds())
          .encode());
    } else if (r.alreadyCopied()) {
      System.out.printf("%s is already in %s: nothing copied%n", r.destinationPointId(), to);
    } else {
      System.out.printf("copied %s to %s as %s: %s, %d of %d chunks written (%s), %.1f s%n", r.sourcePointId(), to,
          r.destinationPointId(), Units.bytes(r.size()), r.chunksCopied(), r.chunksRead(), Units.bytes(r.bytesWritten()), r.seconds());
    }
    return 0;
  }
}
