package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.format.Manifest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code vaultgate points}: the recovery points of a vault, oldest first. */
@Command(name = "points", mixinStandardHelpOptions = true, description = "List the recovery points of a vault, oldest first.")
final class PointsCommand implements Callable<Integer> {
  @Mixin
  VaultOptions vault;

  @Option(names = "--json", description = "Print a JSON object as the last line.")
  boolean json;

  @Override
  public Integer call() {
    List<Manifest> points = vault.withRepositoryWithoutIndex(repo -> repo.loadAllPoints());
    if (json) {
      JsonArray list = new JsonArray();
      points.forEach(m -> list.add(PointSummary.json(m)));
      System.out.println(new JsonObject().put("points", list).encode());
      return 0;
    }
    System.out.printf("%-32s  %-24s  %10s  %s%n", "ID", "CREATED", "SIZE", "SOURCE");
    for (Manifest m : points) {
      JsonObject p = PointSummary.json(m);
      System.out.printf("%-32s  %-24s  %10s  %s%n", m.id(), p.getString("createdAt"), Units.bytes(p.getLong("size")), p.getString("source"));
    }
    return 0;
  }
}
