package dev.vaultgate.coordinator.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretSealerTest {

  static final byte[] KEY = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  static final String ARN = "arn:aws:backup-gateway:us-east-1:000000000000:hypervisor/hype-00000001";

  @Test
  void aSealedSecretOpensWithTheSameKeyAndOwnerAndIsStandardAesGcm() throws Exception {
    SecretSealer sealer = new SecretSealer(KEY);
    byte[] sealed = sealer.seal("vCenter-pa55", ARN);
    assertEquals("vCenter-pa55", sealer.open(sealed, ARN));
    assertEquals(12 + "vCenter-pa55".length() + 16, sealed.length, "nonce, ciphertext, 16-byte tag");
    // any AES-GCM implementation opens it: nonce first, the owner as associated data
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(KEY, "AES"), new GCMParameterSpec(128, Arrays.copyOf(sealed, 12)));
    c.updateAAD(ARN.getBytes());
    assertEquals("vCenter-pa55", new String(c.doFinal(sealed, 12, sealed.length - 12)));
  }

  @Test
  void twoSealsOfOneSecretDiffer() {
    SecretSealer sealer = new SecretSealer(KEY);
    assertFalse(Arrays.equals(sealer.seal("same", ARN), sealer.seal("same", ARN)), "a fresh nonce each time");
  }

  @Test
  void oneFlippedBitAnotherKeyOrAnotherOwnerDoesNotOpen() {
    SecretSealer sealer = new SecretSealer(KEY);
    byte[] sealed = sealer.seal("pw", ARN);
    for (int bit = 0; bit < sealed.length * 8; bit += 7) {
      byte[] tampered = sealed.clone();
      tampered[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThrows(IllegalStateException.class, () -> sealer.open(tampered, ARN));
    }
    byte[] otherKey = KEY.clone();
    otherKey[0] ^= 1;
    IllegalStateException wrongKey =
        assertThrows(IllegalStateException.class, () -> new SecretSealer(otherKey).open(sealed, ARN));
    assertTrue(wrongKey.getMessage().contains(ARN), wrongKey.getMessage());
    assertThrows(IllegalStateException.class, () -> sealer.open(sealed, ARN.replace("00000001", "00000002")));
    assertThrows(IllegalStateException.class, () -> sealer.open(Arrays.copyOf(sealed, 10), ARN));
  }

  @Test
  void theKeyFileIsMadeOnceWithMode0600AndReadAfterwards(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sub/master.key");
    byte[] sealed = SecretSealer.fromKeyFile(file).seal("pw", ARN);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    byte[] key = Files.readAllBytes(file);
    assertEquals(32, key.length);
    assertEquals("pw", SecretSealer.fromKeyFile(file).open(sealed, ARN), "the second start reads the same key");
    assertArrayEquals(key, Files.readAllBytes(file));
  }

  @Test
  void aKeyFileOfTheWrongSizeIsRefusedNamingIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("short.key");
    Files.write(file, new byte[7]);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> SecretSealer.fromKeyFile(file));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("7 bytes"), e.getMessage());
  }
}
