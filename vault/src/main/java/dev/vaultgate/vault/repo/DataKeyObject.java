package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.crypto.KeyWrapper;
import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.crypto.WrongMasterKeyException;
import dev.vaultgate.vault.format.CorruptObjectException;
import dev.vaultgate.vault.format.ObjectKeys;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * The object {@code keys/<id>} of one data-key generation after the config's: JSON in the clear,
 * {@code {"format":"vaultgate-data-key","version":1,"body":"<json string>","mac":base64}}, the body
 * {@code {"vaultId","id","createdAt","cipher":"aes-256-gcm","kmsRotation":ms|null,"keys":[{"scheme","keyId","wrapped"}]}}
 * holding the 32-byte
 * AES key wrapped by the vault's key wrapper. The MAC is HMAC-SHA256 under the vault's id key (which every generation
 * shares) of {@code "vaultgate data key <id>\n" + body}: whoever can write to the bucket but has no vault key cannot
 * plant a generation (that would make backups seal under a key of their choosing) nor move one to another name.
 * Never rewritten: a new generation is a new object, and {@code config} (under Object Lock in a locked vault) is
 * never touched.
 */
final class DataKeyObject {
  static final String FORMAT = "vaultgate-data-key";
  static final int VERSION = 1;

  private DataKeyObject() {
  }

  /** What {@link #decode} finds: the listing and the key. */
  record Opened(KeyGeneration generation, byte[] dataKey) {
  }

  static byte[] encode(VaultKeys keys, String vaultId, KeyGeneration generation, byte[] wrapped) {
    String body = new JsonObject()
        .put("vaultId", vaultId)
        .put("id", generation.id())
        .put("createdAt", generation.createdAtMillis())
        .put("cipher", "aes-256-gcm")
        .put("kmsRotation", generation.kmsRotationMillis())
        .put("keys", new JsonArray().add(new JsonObject()
            .put("scheme", generation.scheme())
            .put("keyId", generation.keyId())
            .put("wrapped", Base64.getEncoder().encodeToString(wrapped))))
        .encode();
    return new JsonObject()
        .put("format", FORMAT)
        .put("version", VERSION)
        .put("body", body)
        .put("mac", Base64.getEncoder().encodeToString(mac(keys, generation.id(), body)))
        .encodePrettily()
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] mac(VaultKeys keys, String id, String body) {
    return keys.mac(("vaultgate data key " + id + "\n" + body).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Checks the object's MAC (before any key is unwrapped: a planted object costs no KMS call), then unwraps its key
   * with {@code wrapper}.
   *
   * @throws CorruptObjectException when it is not a generation of this vault made by a holder of its key
   * @throws WrongMasterKeyException when {@code wrapper} does not wrap it
   */
  static Opened decode(byte[] bytes, String id, VaultKeys keys, String vaultId, KeyWrapper wrapper, String vaultName) {
    String what = ObjectKeys.key(id) + " of vault " + vaultName;
    String refused = "; it was not written by a holder of the vault's key (delete it if it was planted)";
    JsonObject json;
    try {
      json = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw new CorruptObjectException(what + " is not a data-key generation (not JSON)" + refused);
    }
    if (!FORMAT.equals(json.getValue("format")) || !Integer.valueOf(VERSION).equals(json.getValue("version"))
        || !(json.getValue("body") instanceof String body) || !(json.getValue("mac") instanceof String macText)) {
      throw new CorruptObjectException(what + " is not a version " + VERSION + " data-key generation (no body and MAC)"
          + refused);
    }
    byte[] mac;
    try {
      mac = Base64.getDecoder().decode(macText);
    } catch (IllegalArgumentException e) {
      throw new CorruptObjectException(what + " has a MAC that is not base64" + refused);
    }
    if (!MessageDigest.isEqual(mac, mac(keys, id, body))) {
      throw new CorruptObjectException(what + " fails its MAC under the vault's key" + refused);
    }
    // Authentic from here: whatever is malformed now is a bug, not an attack.
    try {
      JsonObject b = new JsonObject(body);
      if (!vaultId.equals(b.getString("vaultId")) || !id.equals(b.getString("id"))) {
        throw new CorruptObjectException(what + " belongs to vault " + b.getString("vaultId") + " as " + b.getString("id"));
      }
      JsonArray list = b.getJsonArray("keys");
      String schemes = "";
      for (int i = 0; i < list.size(); i++) {
        JsonObject k = list.getJsonObject(i);
        schemes += (i > 0 ? ", " : "") + k.getString("scheme") + " key " + k.getString("keyId");
        if (wrapper.scheme().equals(k.getString("scheme"))) {
          byte[] key;
          try {
            key = wrapper.unwrap(Base64.getDecoder().decode(k.getString("wrapped")));
          } catch (WrongMasterKeyException e) {
            throw new WrongMasterKeyException("wrong master key for vault " + vaultName + ": " + e.getMessage()
                + " (its data-key generation " + ObjectKeys.key(id) + " is wrapped by key id " + k.getString("keyId") + ")");
          }
          return new Opened(new KeyGeneration(id, b.getLong("createdAt"), k.getString("scheme"), k.getString("keyId"),
              b.getLong("kmsRotation")), key);
        }
      }
      throw new WrongMasterKeyException("cannot open vault " + vaultName + " with " + wrapper.scheme() + " key "
          + wrapper.keyId() + ": its data-key generation " + ObjectKeys.key(id) + " is wrapped by " + schemes
          + (schemes.contains("kms") ? " (open it with --kms-endpoint)" : ""));
    } catch (NullPointerException | ClassCastException | IllegalArgumentException | DecodeException e) {
      throw new CorruptObjectException(what + " is malformed (" + e.getMessage() + ")");
    }
  }
}
