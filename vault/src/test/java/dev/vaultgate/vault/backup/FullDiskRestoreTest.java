package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.testing.EngineFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A restore onto a file system that fills up, a real one: a 4 MiB tmpfs (mount; needs root, which scripts/test has).
 * The failure is one line naming the target, no file that looks like a disk is left, and the vault is untouched.
 */
class FullDiskRestoreTest {
  @TempDir
  Path tmp;
  private Path small;

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? null : command[0] + ": " + out;
  }

  @AfterEach
  void unmount() throws Exception {
    if (small != null) {
      run("umount", small.toString());
    }
  }

  @Test
  void aRestoreThatFillsTheTargetsFileSystemIsNamedAndLeavesNothing() throws Exception {
    Path mountPoint = Files.createDirectories(tmp.resolve("small"));
    String failed = run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint.toString());
    // without root (or in a container that may not mount) there is no small file system to fill
    assumeTrue(failed == null, failed);
    small = mountPoint;
    byte[] image = new byte[8 << 20];
    new Random(5).nextBytes(image);
    try (EngineFixture v = EngineFixture.onFiles(tmp.resolve("v"))) {
      v.init().close();
      String point = v.backup(Files.write(tmp.resolve("disk.img"), image)).recoveryPointId();
      Path target = small.resolve("restored.img");

      VaultException e = assertThrows(VaultException.class, () -> v.restore(point, target));
      assertEquals("cannot restore to " + target + ": No space left on device", e.getMessage());
      try (var left = Files.list(small)) {
        assertEquals(0, left.count(), "neither the target nor its partial file is left");
      }

      Path elsewhere = tmp.resolve("restored.img");
      v.restore(point, elsewhere);
      assertArrayEquals(image, Files.readAllBytes(elsewhere), "the vault lost nothing");
    }
  }
}
