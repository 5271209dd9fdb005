package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.testing.EngineFixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vaultgate.vault.repo.VaultException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restore to a block device, a real one: a loop device over a file (losetup; needs root, which scripts/test has).
 * The device is written in place, and where the disk had zeros (stored as nothing) the device's old bytes are
 * overwritten with zeros; a device smaller than the disk is refused before anything is written.
 */
class BlockDeviceRestoreTest {
  @TempDir
  Path tmp;
  Path device;

  Path loopDevice(Path backingFile) throws Exception {
    Process p = new ProcessBuilder("losetup", "-f", "--show", backingFile.toString()).redirectErrorStream(true).start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
    boolean ok = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    // without root or loop devices (a container without /dev/loop-control) there is no real device to test on
    assumeTrue(ok, "losetup: " + out);
    return Path.of(out);
  }

  @AfterEach
  void detach() throws Exception {
    if (device != null) {
      new ProcessBuilder("losetup", "-d", device.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPointRestoresOntoABlockDeviceZerosIncludedAndASmallerDeviceIsRefused() throws Exception {
    int size = 6 << 20;
    byte[] image = EngineFixture.mixedImage(11, size);
    Arrays.fill(image, 2 << 20, 3 << 20, (byte) 0); // a zero MiB: stored as nothing, written as zeros
    byte[] garbage = new byte[size];
    new Random(99).nextBytes(garbage);
    Path backing = Files.write(tmp.resolve("device.img"), garbage); // what the device held before
    device = loopDevice(backing);
    assertTrue(!Files.isRegularFile(device) && Files.exists(device), device + " is a device");

    try (EngineFixture v = EngineFixture.onFiles(tmp.resolve("v"))) {
      v.init().close();
      BackupResult point = v.backup(Files.write(tmp.resolve("disk.img"), image));
      RestoreResult r = v.restore(point.recoveryPointId(), device);
      assertEquals(size, r.size());
      byte[] onDevice;
      try (InputStream in = Files.newInputStream(device)) {
        onDevice = in.readNBytes(size);
      }
      assertArrayEquals(image, onDevice, "the device holds the disk, its zero ranges zeroed");
      assertTrue(Files.notExists(tmp.resolve(device.getFileName() + ".vaultgate-partial")));

      // a disk larger than the device: refused, the device untouched
      byte[] larger = EngineFixture.mixedImage(12, size + (1 << 20));
      BackupResult big = v.backup(Files.write(tmp.resolve("big.img"), larger));
      VaultException refused = assertThrows(VaultException.class, () -> v.restore(big.recoveryPointId(), device));
      assertTrue(refused.getMessage().contains("the device holds " + size + " bytes"), refused.getMessage());
      byte[] after;
      try (InputStream in = Files.newInputStream(device)) {
        after = in.readNBytes(size);
      }
      assertArrayEquals(image, after, "nothing written");
    }
  }
  @Test
  void aDamagedChunkSkippedOnABlockDeviceIsZerosThereNotWhatTheDeviceHeld() throws Exception {
    int size = 4 << 20;
    byte[] image = new byte[size];
    new Random(13).nextBytes(image);
    byte[] garbage = new byte[size];
    new Random(98).nextBytes(garbage);
    device = loopDevice(Files.write(tmp.resolve("device.img"), garbage));

    try (EngineFixture v = EngineFixture.onFiles(tmp.resolve("v"))) {
      v.init().close();
      BackupResult point = v.backup(Files.write(tmp.resolve("disk.img"), image));
      Path pack;
      try (var packs = Files.walk(tmp.resolve("v").resolve("vault").resolve("packs"))) {
        pack = packs.filter(Files::isRegularFile).findFirst().orElseThrow();
      }
      EngineFixture.flipBit(pack, 1000);
      RestoreResult r = v.restore(point.recoveryPointId(), device, RestoreJob.Options.defaults().withSkipDamaged(true));
      assertEquals(1, r.damaged().size(), r.toString());
      RestoreResult.DamagedRange d = r.damaged().get(0);
      assertEquals(EngineFixture.BLOCK, d.length(), "one block's chunk");
      assertTrue(d.why().contains("is damaged"), d.why());
      byte[] expected = image.clone();
      Arrays.fill(expected, (int) d.offset(), (int) (d.offset() + d.length()), (byte) 0);
      byte[] onDevice;
      try (InputStream in = Files.newInputStream(device)) {
        onDevice = in.readNBytes(size);
      }
      assertArrayEquals(expected, onDevice, "the damaged block is zeros, not the device's old bytes");
    }
  }
}
