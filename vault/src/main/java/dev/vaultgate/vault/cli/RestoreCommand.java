package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.backup.RestoreResult;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code vaultgate restore}: a recovery point back to a file or block device. */
@Command(name = "restore", mixinStandardHelpOptions = true,
    description = {"Restore a recovery point to a file or block device.",
        "Every chunk is authenticated and checked against its id; a file target appears only when complete."})
final class RestoreCommand implements Callable<Integer> {
  @Mixin
  VaultOptions vault;

  @Option(names = "--recovery-point", required = true, paramLabel = "ID", description = "The recovery point, or 'latest'.")
  String pointId;

  @Option(names = "--target", required = true, paramLabel = "PATH", description = "File or block device to write.")
  Path target;

  @Option(names = "--force", description = "Replace an existing target file.")
  boolean force;

  @Option(names = "--skip-damaged", description = {"Restore what can be read: chunks that are damaged or in missing packs"
      + " are left as zeros and listed on stderr (and in --json), and the exit code is 3.",
      "Without it a restore that meets one fails and leaves no target."})
  boolean skipDamaged;

  @Option(names = "--json", description = "Print a JSON object as the last line.")
  boolean json;

  /** The exit code of a restore that left damaged ranges as zeros. */
  static final int DAMAGED = 3;
  /** Damaged ranges listed on stderr; --json lists them all. */
  private static final int LISTED = 20;

  @Override
  public Integer call() {
    // The vault opens without its index: the restore reads it (RestoreJob), so that it is listed once.
    RestoreResult r = vault.withRepositoryWithoutIndex(repo -> {
      Future<String> id = !"latest".equals(pointId) ? Future.succeededFuture(pointId) : repo.listPoints().compose(ids -> ids.isEmpty()
          ? Future.failedFuture(new IllegalArgumentException("vault " + repo.name() + " has no recovery points"))
          : Future.succeededFuture(ids.get(ids.size() - 1)));
      return id.compose(repo::loadPoint).compose(m -> RestoreJob.run(repo, m, target.toAbsolutePath(),
          RestoreJob.Options.defaults().withOverwrite(force).withSkipDamaged(skipDamaged)
              .withProgress(ProgressBar.forStderr("restore"))));
    });
    List<RestoreResult.DamagedRange> damaged = r.damaged();
    if (!damaged.isEmpty()) {
      System.err.printf("vaultgate restore: %s of %s could not be restored and read as zeros, in %d ranges:%n",
          Units.bytes(r.damagedBytes()), r.target(), damaged.size());
      damaged.stream().limit(LISTED).forEach(d ->
          System.err.printf("  bytes %d-%d: %s%n", d.offset(), d.offset() + d.length() - 1, d.why()));
      if (damaged.size() > LISTED) {
        System.err.printf("  and %d more ranges (--json lists them all)%n", damaged.size() - LISTED);
      }
    }
    if (json) {
      System.out.println(new JsonObject()
          .put("recoveryPointId", r.recoveryPointId())
          .put("target", r.target())
          .put("size", r.size())
          .put("bytesFetched", r.bytesFetched())
          .put("bytesWritten", r.bytesWritten())
          .put("chunks", r.chunks())
          .put("seconds", r.seconds())
          .put("damagedBytes", r.damagedBytes())
          .put("damaged", new JsonArray(damaged.stream().map(d -> new JsonObject().put("offset", d.offset())
              .put("length", d.length()).put("reason", d.why())).toList()))
          .encode());
    } else {
      System.out.printf("restored %s to %s: %s, %s fetched, %.1f s%n", r.recoveryPointId(), r.target(), Units.bytes(r.size()),
          Units.bytes(r.bytesFetched()), r.seconds());
    }
    return damaged.isEmpty() ? 0 : DAMAGED;
  }
}
