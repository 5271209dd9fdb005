package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.crypto.KeyWrapper;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.crypto.WrongMasterKeyException;
import dev.vaultgate.vault.format.CorruptObjectException;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.storage.RetentionMode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VaultConfigTest {
  private static final String VAULT = "s3://bucket/prod-vmware";

  @TempDir
  Path dir;

  private LocalKeyWrapper wrapper;
  private byte[] material;
  private VaultKeys keys;
  private VaultConfig config;
  private byte[] encoded;

  @BeforeEach
  void newVault() {
    wrapper = LocalKeyWrapper.create(dir.resolve("master.key"));
    material = VaultKeys.newMaterial();
    keys = VaultKeys.fromMaterial(material);
    config = new VaultConfig(ObjectIds.newId(), 1_750_000_000_000L, new VaultSettings(128 * 1024, 32 << 20));
    encoded = config.encode(keys, material, wrapper);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void decodeWithTheRightKeyGivesTheSameSettingsAndKeys() {
    VaultConfig.Opened opened = VaultConfig.decode(encoded, LocalKeyWrapper.load(dir.resolve("master.key")), VAULT);
    assertEquals(config, opened.config());
    byte[] data = new byte[4096];
    new Random(1).nextBytes(data);
    assertArrayEquals(keys.mac(data), opened.keys().mac(data));
    assertArrayEquals(keys.fingerprintSeed(), opened.keys().fingerprintSeed());
    byte[] sealed = keys.seal(data, 0, data.length, new byte[0]);
    assertArrayEquals(data, opened.keys().open(sealed, 0, sealed.length, new byte[0]));
  }

  @Test
  void lockRoundTripsAndCannotBeRemovedOrLoosenedWithoutTheKey() {
    RetentionLock lock = new RetentionLock(RetentionMode.COMPLIANCE, Duration.ofDays(7), Duration.ofDays(3650));
    VaultConfig locked = new VaultConfig(ObjectIds.newId(), 1_750_000_000_000L, VaultSettings.defaults().withLock(lock));
    byte[] bytes = locked.encode(keys, material, wrapper);
    assertEquals(locked, VaultConfig.decode(bytes, wrapper, VAULT).config());

    JsonObject json = new JsonObject(text(bytes));
    JsonObject settings = new JsonObject(json.getString("settings"));
    for (JsonObject changed : new JsonObject[] {settings.copy().put("lock", null),
        settings.copy().put("lock", settings.getJsonObject("lock").copy().put("mode", "GOVERNANCE")),
        settings.copy().put("lock", settings.getJsonObject("lock").copy().put("minRetentionSeconds", 1))}) {
      byte[] tampered = json.copy().put("settings", changed.encode()).encode().getBytes(StandardCharsets.UTF_8);
      CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> VaultConfig.decode(tampered, wrapper, VAULT));
      assertEquals("config of " + VAULT + " was changed: its settings fail their MAC", e.getMessage());
    }
  }

  @Test
  void configShowsItsSettingsButNotTheKeyMaterial() {
    JsonObject json = new JsonObject(text(encoded));
    assertEquals("vaultgate", json.getString("format"));
    assertEquals(1, json.getInteger("version"));
    JsonObject settings = new JsonObject(json.getString("settings"));
    assertEquals(128 * 1024, settings.getInteger("blockSize"));
    assertEquals(32 << 20, settings.getInteger("packSize"));
    assertEquals(config.vaultId(), settings.getString("vaultId"));
    assertEquals(wrapper.keyId(), json.getJsonArray("keys").getJsonObject(0).getString("keyId"));
    assertFalse(text(encoded).contains(Base64.getEncoder().encodeToString(material)));
  }

  @Test
  void wrongMasterKeyIsRefusedNamingTheVault() {
    LocalKeyWrapper other = LocalKeyWrapper.create(dir.resolve("other.key"));
    WrongMasterKeyException e = assertThrows(WrongMasterKeyException.class,
        () -> VaultConfig.decode(encoded, other, VAULT));
    assertTrue(e.getMessage().startsWith("wrong master key for vault " + VAULT), e.getMessage());
    assertTrue(e.getMessage().contains(wrapper.keyId()), "names the key id that wraps the vault: " + e.getMessage());
  }

  @Test
  void keyOfAnotherSchemeIsRefusedNamingTheVault() {
    KeyWrapper kms = new KeyWrapper() {
      @Override
      public String scheme() {
        return "kms";
      }

      @Override
      public String keyId() {
        return "arn:aws:kms:eu-west-1:123:key/x";
      }

      @Override
      public byte[] wrap(byte[] keyMaterial) {
        throw new UnsupportedOperationException();
      }

      @Override
      public byte[] unwrap(byte[] wrapped) {
        throw new AssertionError("a key of another scheme must not be tried");
      }
    };
    WrongMasterKeyException e = assertThrows(WrongMasterKeyException.class,
        () -> VaultConfig.decode(encoded, kms, VAULT));
    assertTrue(e.getMessage().startsWith("wrong master key for vault " + VAULT), e.getMessage());
  }

  @Test
  void changedBlockSizeFailsTheSettingsMac() {
    String original = text(encoded);
    String tampered = original.replace("\\\"blockSize\\\":131072", "\\\"blockSize\\\":65536");
    assertFalse(original.equals(tampered), "the settings text was not found in " + original);
    CorruptObjectException e = assertThrows(CorruptObjectException.class,
        () -> VaultConfig.decode(tampered.getBytes(StandardCharsets.UTF_8), wrapper, VAULT));
    assertTrue(e.getMessage().contains("MAC"), e.getMessage());
    assertTrue(e.getMessage().contains(VAULT), e.getMessage());
  }

  @Test
  void settingsMacOfAnotherVaultIsRefused() {
    JsonObject json = new JsonObject(text(encoded));
    VaultKeys otherKeys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    json.put("settingsMac", Base64.getEncoder().encodeToString(
        otherKeys.mac(json.getString("settings").getBytes(StandardCharsets.UTF_8))));
    CorruptObjectException e = assertThrows(CorruptObjectException.class,
        () -> VaultConfig.decode(json.encode().getBytes(StandardCharsets.UTF_8), wrapper, VAULT));
    assertTrue(e.getMessage().contains("MAC"), e.getMessage());
  }

  @Test
  void bytesThatAreNotJsonAreNotAVaultConfig() {
    byte[] binary = new byte[300];
    new Random(2).nextBytes(binary);
    for (byte[] bytes : new byte[][] {"hello".getBytes(StandardCharsets.UTF_8), binary, new byte[0],
        "[1, 2]".getBytes(StandardCharsets.UTF_8), "42".getBytes(StandardCharsets.UTF_8),
        "{\"format\": ".getBytes(StandardCharsets.UTF_8)}) {
      CorruptObjectException e = assertThrows(CorruptObjectException.class,
          () -> VaultConfig.decode(bytes, wrapper, VAULT), text(bytes));
      assertTrue(e.getMessage().contains("not a Vaultgate vault config"), e.getMessage());
      assertTrue(e.getMessage().contains(VAULT), e.getMessage());
    }
  }

  @Test
  void jsonOfAnotherFormatIsNotAVaultConfig() {
    for (String json : new String[] {"{}", "{\"format\":\"restic\",\"version\":1}", "{\"format\":1}"}) {
      CorruptObjectException e = assertThrows(CorruptObjectException.class,
          () -> VaultConfig.decode(json.getBytes(StandardCharsets.UTF_8), wrapper, VAULT), json);
      assertTrue(e.getMessage().contains("not a Vaultgate vault config"), e.getMessage());
    }
  }

  @Test
  void laterFormatVersionIsRefusedNamingBothVersions() {
    JsonObject json = new JsonObject(text(encoded)).put("version", 2);
    CorruptObjectException e = assertThrows(CorruptObjectException.class,
        () -> VaultConfig.decode(json.encode().getBytes(StandardCharsets.UTF_8), wrapper, VAULT));
    assertTrue(e.getMessage().contains("format version 2"), e.getMessage());
    assertTrue(e.getMessage().contains("reads version 1"), e.getMessage());
  }

  @Test
  void configMissingAFieldIsMalformed() {
    for (String field : new String[] {"settings", "keys", "settingsMac"}) {
      JsonObject json = new JsonObject(text(encoded));
      json.remove(field);
      CorruptObjectException e = assertThrows(CorruptObjectException.class,
          () -> VaultConfig.decode(json.encode().getBytes(StandardCharsets.UTF_8), wrapper, VAULT), field);
      assertTrue(e.getMessage().contains(VAULT), e.getMessage());
    }
  }
}
