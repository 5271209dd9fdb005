package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.testing.EngineFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** gc tells how far it is through the packs it deletes or repacks (the CLI draws it as a progress bar). */
class GcProgressTest {
  @TempDir
  Path dir;

  @Test
  void gcTellsItsProgressPackByPackEndingAtTheBytesOfEveryPackItRemoved() throws Exception {
    try (EngineFixture vault = EngineFixture.onFiles(dir)) {
      vault.init().close();
      List<String> points = new ArrayList<>();
      for (int i = 0; i < 3; i++) { // each backup stores its own pack
        points.add(vault.backup(Files.write(dir.resolve("disk-" + i), EngineFixture.mixedImage(60 + i, 8 * EngineFixture.BLOCK)))
            .recoveryPointId());
      }
      long stored;
      try (var packs = Files.walk(dir.resolve("vault").resolve("packs"))) {
        stored = packs.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
      }
      List<long[]> told = new CopyOnWriteArrayList<>();
      GcReport report = vault.withRepo(repo -> repo.deletePoint(points.get(0)).compose(a -> repo.deletePoint(points.get(1)))
          .compose(b -> repo.deletePoint(points.get(2)))
          .compose(c -> GarbageCollector.collect(repo, (done, total) -> told.add(new long[] {done, total}))));
      assertEquals(3, report.packsDeleted(), report.toString());
      assertEquals(3, told.size(), "once per pack");
      for (int i = 1; i < told.size(); i++) {
        assertTrue(told.get(i)[0] > told.get(i - 1)[0], "growing");
      }
      assertEquals(stored, told.get(2)[0], "every pack's bytes");
      assertEquals(stored, told.get(2)[1]);
    }
  }
}
