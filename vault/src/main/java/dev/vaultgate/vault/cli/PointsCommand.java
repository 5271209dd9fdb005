package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.format.PointHeader;
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
    // Headers only: a point of a large disk has a manifest of hundreds of megabytes, its first frame says all this.
    List<PointHeader> points = vault.withRepositoryWithoutIndex(repo -> repo.loadAllPointHeaders());
    if (json) {
      JsonArray list = new JsonArray();
      points.forEach(h -> list.add(PointSummary.json(h)));
      System.out.println(new JsonObject().put("points", list).encode());
      return 0;
    }
    System.out.printf("%-32s  %-24s  %10s  %s%n", "ID", "CREATED", "SIZE", "SOURCE");
    for (PointHeader h : points) {
      JsonObject p = PointSummary.json(h);
      System.out.printf("%-32s  %-24s  %10s  %s%n", h.id(), p.getString("createdAt"), Units.bytes(p.getLong("size")), p.getString("source"));
    }
    return 0;
  }
}
