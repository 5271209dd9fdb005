package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.maintenance.LegalHolds;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code vaultgate legal-hold}: put a recovery point of a locked vault on S3 legal hold, or release it. */
@Command(name = "legal-hold", mixinStandardHelpOptions = true,
    description = {"Put a recovery point of a locked vault on legal hold: S3 keeps its manifest and all the data it needs",
        "until the hold is released, whatever its retention. --release takes the hold off (what another held point",
        "needs stays held)."})
final class LegalHoldCommand implements Callable<Integer> {
  @Mixin
  VaultOptions vault;

  @Option(names = "--recovery-point", required = true, paramLabel = "ID", description = "The recovery point.")
  String pointId;

  @Option(names = "--release", description = "Take the legal hold off instead.")
  boolean release;

  @Option(names = "--json", description = "Print a JSON object as the last line.")
  boolean json;

  @Override
  public Integer call() {
    int objects = vault.withRepository(repo -> release ? LegalHolds.release(repo, pointId) : LegalHolds.hold(repo, pointId));
    System.out.println(json ? new JsonObject().put("recoveryPointId", pointId).put("legalHold", !release)
        .put("objects", objects).encode()
        : (release ? "released the legal hold of recovery point " : "legal hold on recovery point ") + pointId + " ("
            + objects + " objects)");
    return 0;
  }
}
