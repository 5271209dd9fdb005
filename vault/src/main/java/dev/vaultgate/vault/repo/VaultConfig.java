package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.crypto.KeyWrapper;
import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.crypto.WrongMasterKeyException;
import dev.vaultgate.vault.format.CorruptObjectException;
import dev.vaultgate.vault.storage.RetentionMode;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;

/**
 * The {@code config} object, the only one not sealed: format version and settings in the clear, the vault's
 * key material wrapped by each master key, and a MAC of the settings under the vault key so that nobody
 * without the key can change them.
 */
public record VaultConfig(String vaultId, long createdAtMillis, VaultSettings settings) {
  static final String FORMAT = "vaultgate";
  static final int VERSION = 1;

  /** The config object's bytes for a new vault whose key material {@code material} is wrapped by {@code wrapper}. */
  byte[] encode(VaultKeys keys, byte[] material, KeyWrapper wrapper) {
    return encode(keys, wrapper.wrap(material), wrapper.scheme(), wrapper.keyId());
  }

  /** The config object's bytes for a new vault whose key material was wrapped already ({@link KeyWrapper#generate}). */
  byte[] encode(VaultKeys keys, byte[] wrapped, String scheme, String keyId) {
    JsonObject settingsObject = new JsonObject()
        .put("vaultId", vaultId)
        .put("createdAt", createdAtMillis)
        .put("blockSize", settings.blockSize())
        .put("packSize", settings.packTargetBytes())
        .put("chunkId", "hmac-sha256")
        .put("compression", "zstd")
        .put("cipher", "aes-256-gcm");
    if (settings.lock() != null) {
      // Inside the MACed settings: nobody without the vault key can unlock the vault or shorten its retention.
      settingsObject.put("lock", new JsonObject()
          .put("mode", settings.lock().mode().name())
          .put("minRetentionSeconds", settings.lock().minRetention().getSeconds())
          .put("maxRetentionSeconds", settings.lock().maxRetention().getSeconds()));
    }
    String settingsJson = settingsObject.encode();
    JsonObject key = new JsonObject()
        .put("scheme", scheme)
        .put("keyId", keyId)
        .put("wrapped", Base64.getEncoder().encodeToString(wrapped));
    return new JsonObject()
        .put("format", FORMAT)
        .put("version", VERSION)
        .put("settings", settingsJson)
        .put("keys", new JsonArray().add(key))
        .put("settingsMac", Base64.getEncoder().encodeToString(keys.mac(settingsJson.getBytes(StandardCharsets.UTF_8))))
        .encodePrettily()
        .getBytes(StandardCharsets.UTF_8);
  }

  /** What {@link #decode} finds: the config and the vault's keys. */
  record Opened(VaultConfig config, VaultKeys keys, KeyGeneration original) {
  }

  /**
   * Parses the config object and unwraps the vault key with {@code wrapper}.
   *
   * @throws CorruptObjectException when the object is not a Vaultgate config or its settings were changed
   * @throws WrongMasterKeyException when no wrapped key opens with {@code wrapper}
   */
  static Opened decode(byte[] bytes, KeyWrapper wrapper, String vaultName) {
    JsonObject json;
    try {
      json = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw new CorruptObjectException("config of " + vaultName + " is not a Vaultgate vault config (not JSON)");
    }
    if (!FORMAT.equals(json.getValue("format"))) {
      throw new CorruptObjectException("config of " + vaultName + " is not a Vaultgate vault config");
    }
    if (!Integer.valueOf(VERSION).equals(json.getValue("version"))) {
      throw new CorruptObjectException("vault " + vaultName + " has format version " + json.getValue("version")
          + "; this Vaultgate reads version " + VERSION);
    }
    try {
      String settingsJson = json.getString("settings");
      byte[] material = null;
      JsonObject opener = null;
      JsonArray keyList = json.getJsonArray("keys");
      for (int i = 0; i < keyList.size() && material == null; i++) {
        JsonObject k = keyList.getJsonObject(i);
        if (wrapper.scheme().equals(k.getString("scheme"))) {
          try {
            material = wrapper.unwrap(Base64.getDecoder().decode(k.getString("wrapped")));
            opener = k;
          } catch (WrongMasterKeyException e) {
            if (i == keyList.size() - 1) {
              throw new WrongMasterKeyException("wrong master key for vault " + vaultName + ": " + e.getMessage()
                  + " (the vault's key is wrapped by key id " + k.getString("keyId") + ")");
            }
          }
        }
      }
      if (material == null) {
        throw new WrongMasterKeyException("wrong master key for vault " + vaultName + ": no key of scheme "
            + wrapper.scheme() + " wraps it");
      }
      VaultKeys keys = VaultKeys.fromMaterial(material);
      byte[] mac = Base64.getDecoder().decode(json.getString("settingsMac"));
      if (!MessageDigest.isEqual(mac, keys.mac(settingsJson.getBytes(StandardCharsets.UTF_8)))) {
        throw new CorruptObjectException("config of " + vaultName + " was changed: its settings fail their MAC");
      }
      JsonObject s = new JsonObject(settingsJson);
      JsonObject lock = s.getJsonObject("lock");
      VaultSettings settings = new VaultSettings(s.getInteger("blockSize"), s.getInteger("packSize"), lock == null ? null
          : new RetentionLock(RetentionMode.parse(lock.getString("mode")),
              Duration.ofSeconds(lock.getLong("minRetentionSeconds")), Duration.ofSeconds(lock.getLong("maxRetentionSeconds"))));
      return new Opened(new VaultConfig(s.getString("vaultId"), s.getLong("createdAt"), settings), keys,
          new KeyGeneration(null, s.getLong("createdAt"), opener.getString("scheme"), opener.getString("keyId")));
    } catch (NullPointerException | ClassCastException | IllegalArgumentException | DecodeException e) {
      throw new CorruptObjectException("config of " + vaultName + " is malformed (" + e.getMessage() + ")");
    }
  }
}
