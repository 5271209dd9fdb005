package dev.vaultgate.vault.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code vaultgate forget}: delete a recovery point; {@code vault gc} then frees what only it used. */
@Command(name = "forget", mixinStandardHelpOptions = true,
    description = "Delete a recovery point. Its data is freed by 'vaultgate vault gc' once no other point uses it.")
final class ForgetCommand implements Callable<Integer> {
  @Mixin
  VaultOptions vault;

  @Option(names = "--recovery-point", required = true, paramLabel = "ID", description = "The recovery point to delete.")
  String pointId;

  @Option(names = "--json", description = "Print a JSON object as the last line.")
  boolean json;

  @Override
  public Integer call() {
    vault.withRepository(repo -> repo.deletePoint(pointId));
    System.out.println(json ? new JsonObject().put("deleted", pointId).encode() : "deleted recovery point " + pointId);
    return 0;
  }
}
