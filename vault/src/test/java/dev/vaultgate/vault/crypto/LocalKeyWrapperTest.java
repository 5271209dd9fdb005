package dev.vaultgate.vault.crypto;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalKeyWrapperTest {
  @TempDir
  Path dir;

  @Test
  void createWritesAnOwnerOnlyFileHoldingBase64Of32Bytes() throws Exception {
    Path file = dir.resolve("master.key");
    LocalKeyWrapper.create(file);
    assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
        Files.getPosixFilePermissions(file));
    byte[] key = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
    assertEquals(32, key.length);
  }

  @Test
  void createMakesMissingParentDirectories() {
    Path file = dir.resolve("a/b/master.key");
    LocalKeyWrapper.create(file);
    assertTrue(Files.isRegularFile(file));
  }

  @Test
  void createRefusesToOverwriteAnExistingKey() throws Exception {
    Path file = dir.resolve("master.key");
    LocalKeyWrapper.create(file);
    String before = Files.readString(file);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalKeyWrapper.create(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    assertEquals(before, Files.readString(file));
  }

  @Test
  void loadedKeyUnwrapsWhatTheCreatedKeyWrapped() {
    Path file = dir.resolve("master.key");
    LocalKeyWrapper created = LocalKeyWrapper.create(file);
    byte[] material = VaultKeys.newMaterial();
    byte[] wrapped = created.wrap(material);
    LocalKeyWrapper loaded = LocalKeyWrapper.load(file);
    assertArrayEquals(material, loaded.unwrap(wrapped));
    assertEquals(created.keyId(), loaded.keyId());
    assertEquals("local", loaded.scheme());
    assertEquals(file, loaded.source());
    assertFalse(Arrays.equals(material, Arrays.copyOfRange(wrapped, Aead.NONCE_BYTES, Aead.NONCE_BYTES + 64)),
        "the material lies in the clear");
  }

  @Test
  void loadOrCreateCreatesOnceThenLoadsTheSameKey() {
    Path file = dir.resolve("master.key");
    LocalKeyWrapper first = LocalKeyWrapper.loadOrCreate(file);
    LocalKeyWrapper second = LocalKeyWrapper.loadOrCreate(file);
    assertEquals(first.keyId(), second.keyId());
    byte[] material = VaultKeys.newMaterial();
    assertArrayEquals(material, second.unwrap(first.wrap(material)));
  }

  @Test
  void anotherKeyCannotUnwrapAndTheErrorNamesItsFile() {
    LocalKeyWrapper right = LocalKeyWrapper.create(dir.resolve("right.key"));
    Path wrongFile = dir.resolve("wrong.key");
    LocalKeyWrapper wrong = LocalKeyWrapper.create(wrongFile);
    assertNotEquals(right.keyId(), wrong.keyId());
    byte[] wrapped = right.wrap(VaultKeys.newMaterial());
    WrongMasterKeyException e = assertThrows(WrongMasterKeyException.class, () -> wrong.unwrap(wrapped));
    assertTrue(e.getMessage().contains(wrongFile.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(wrong.keyId()), e.getMessage());
  }

  @Test
  void damagedWrappedKeyIsRefused() {
    LocalKeyWrapper key = LocalKeyWrapper.create(dir.resolve("master.key"));
    byte[] wrapped = key.wrap(VaultKeys.newMaterial());
    wrapped[wrapped.length / 2] ^= 0x10;
    assertThrows(WrongMasterKeyException.class, () -> key.unwrap(wrapped));
    assertThrows(WrongMasterKeyException.class, () -> key.unwrap(new byte[5]));
  }

  @Test
  void keyFileThatIsNotBase64IsRejectedNamingTheFile() throws Exception {
    Path file = dir.resolve("bad.key");
    Files.writeString(file, "this is not base64!!\n");
    assertRejectedNaming(file);
  }

  @Test
  void keyFileOfTheWrongLengthIsRejectedNamingTheFile() throws Exception {
    Path file = dir.resolve("short.key");
    Files.writeString(file, Base64.getEncoder().encodeToString(new byte[16]) + "\n");
    assertRejectedNaming(file);
    Path longer = dir.resolve("long.key");
    Files.writeString(longer, Base64.getEncoder().encodeToString(new byte[33]));
    assertRejectedNaming(longer);
    Path empty = dir.resolve("empty.key");
    Files.writeString(empty, "");
    assertRejectedNaming(empty);
  }

  @Test
  void missingKeyFileIsRejectedNamingTheFile() {
    assertRejectedNaming(dir.resolve("missing.key"));
  }

  @Test
  void keyFileWithSurroundingWhitespaceLoads() throws Exception {
    Path file = dir.resolve("spaced.key");
    Files.writeString(file, "  " + Base64.getEncoder().encodeToString(Secrets.randomBytes(32)) + "\n\n");
    LocalKeyWrapper key = LocalKeyWrapper.load(file);
    byte[] material = VaultKeys.newMaterial();
    assertArrayEquals(material, key.unwrap(key.wrap(material)));
  }

  private static void assertRejectedNaming(Path file) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalKeyWrapper.load(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }
}
