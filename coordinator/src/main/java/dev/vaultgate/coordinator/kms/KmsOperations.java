package dev.vaultgate.coordinator.kms;

import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The semantics of the KMS operations Vaultgate serves. Crypto runs on the event loop: every payload is at most
 * 4 KiB (the model's limit), so an AES-GCM seal or open is a few microseconds, cheaper than handing it to a worker;
 * random bytes come from the non-blocking /dev/urandom source. Errors are KMS's types: NotFoundException for an
 * unknown key or alias (another account's included), DisabledException, KMSInvalidStateException (pending deletion),
 * InvalidCiphertextException, IncorrectKeyException, ValidationException, AlreadyExistsException.
 */
public final class KmsOperations {

  static final String ALGORITHM = "SYMMETRIC_DEFAULT";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final PgKmsKeyStore store;
  private final String region;

  public KmsOperations(PgKmsKeyStore store, String region) {
    this.store = store;
    this.region = region;
  }

  // ---- keys

  public Future<JsonObject> createKey(CallContext call, JsonObject in) {
    String spec = in.getString("KeySpec", in.getString("CustomerMasterKeySpec", ALGORITHM));
    if (!ALGORITHM.equals(spec)) {
      throw unsupported("KeySpec " + spec + ": this key service makes only SYMMETRIC_DEFAULT keys");
    }
    String usage = in.getString("KeyUsage", "ENCRYPT_DECRYPT");
    if (!"ENCRYPT_DECRYPT".equals(usage)) {
      throw unsupported("KeyUsage " + usage + ": SYMMETRIC_DEFAULT keys are for ENCRYPT_DECRYPT only");
    }
    if (!"AWS_KMS".equals(in.getString("Origin", "AWS_KMS"))) {
      throw unsupported("Origin " + in.getString("Origin") + ": this key service makes its own key material (AWS_KMS)");
    }
    if (in.getString("CustomKeyStoreId") != null || in.getString("XksKeyId") != null) {
      throw unsupported("custom key stores are not served by this key service");
    }
    if (Boolean.TRUE.equals(in.getBoolean("MultiRegion"))) {
      throw unsupported("multi-Region keys are not served by this key service");
    }
    if (in.getJsonArray("Tags") != null && !in.getJsonArray("Tags").isEmpty()) {
      throw unsupported("tags on keys are not served by this key service");
    }
    return store.create(call.accountId(), in.getString("Description", ""), call.receivedAt())
        .map(key -> new JsonObject().put("KeyMetadata", metadata(key)));
  }

  public Future<JsonObject> describeKey(CallContext call, JsonObject in) {
    return resolve(call, in.getString("KeyId")).map(key -> new JsonObject().put("KeyMetadata", metadata(key)));
  }

  public Future<JsonObject> listKeys(CallContext call, JsonObject in) {
    int limit = limit(in);
    UUID after = null;
    if (in.getString("Marker") != null) {
      try {
        after = UUID.fromString(in.getString("Marker"));
      } catch (IllegalArgumentException e) {
        throw ApiException.of("InvalidMarkerException", "Marker '" + in.getString("Marker") + "' is not one ListKeys answered");
      }
    }
    return store.list(call.accountId(), after, limit + 1, call.receivedAt()).map(keys -> {
      JsonArray out = new JsonArray();
      keys.stream().limit(limit).forEach(k -> out.add(new JsonObject().put("KeyId", k.keyId().toString())
          .put("KeyArn", arn(k))));
      JsonObject answer = new JsonObject().put("Keys", out).put("Truncated", keys.size() > limit);
      if (keys.size() > limit) answer.put("NextMarker", keys.get(limit - 1).keyId().toString());
      return answer;
    });
  }

  public Future<JsonObject> enableKey(CallContext call, JsonObject in) {
    return resolve(call, in.getString("KeyId")).compose(key -> {
      if (key.deletionDate() != null) throw pendingDeletion(key);
      return store.setEnabled(call.accountId(), key.keyId(), true);
    }).map(k -> new JsonObject());
  }

  public Future<JsonObject> disableKey(CallContext call, JsonObject in) {
    return resolve(call, in.getString("KeyId")).compose(key -> {
      if (key.deletionDate() != null) throw pendingDeletion(key);
      return store.setEnabled(call.accountId(), key.keyId(), false);
    }).map(k -> new JsonObject());
  }

  public Future<JsonObject> scheduleKeyDeletion(CallContext call, JsonObject in) {
    long days = in.getLong("PendingWindowInDays", 30L);
    if (days < 7 || days > 30) {
      throw ApiException.of("ValidationException", "PendingWindowInDays " + days + " is outside 7 to 30 days");
    }
    return resolve(call, in.getString("KeyId")).compose(key -> {
      if (key.deletionDate() != null) throw pendingDeletion(key);
      return store.scheduleDeletion(call.accountId(), key.keyId(), call.receivedAt().plus(Duration.ofDays(days)), (int) days);
    }).map(key -> new JsonObject().put("KeyId", arn(key)).put("DeletionDate", key.deletionDate().getEpochSecond())
        .put("KeyState", key.state()).put("PendingWindowInDays", key.pendingWindowDays()));
  }

  public Future<JsonObject> cancelKeyDeletion(CallContext call, JsonObject in) {
    return resolve(call, in.getString("KeyId")).compose(key -> {
      if (key.deletionDate() == null) {
        throw ApiException.of("KMSInvalidStateException", "Key '" + arn(key) + "' is not pending deletion (it is "
            + key.state() + ")");
      }
      return store.cancelDeletion(call.accountId(), key.keyId());
    }).map(key -> new JsonObject().put("KeyId", arn(key)));
  }

  // ---- rotation

  public Future<JsonObject> enableKeyRotation(CallContext call, JsonObject in) {
    Long period = in.getLong("RotationPeriodInDays");
    return usable(call, in.getString("KeyId"))
        .compose(key -> store.setRotation(call.accountId(), key.keyId(), true,
            period == null ? (key.rotationPeriodDays() == null ? 365 : null) : Integer.valueOf(period.intValue()),
            call.receivedAt()))
        .map(k -> new JsonObject());
  }

  public Future<JsonObject> disableKeyRotation(CallContext call, JsonObject in) {
    return usable(call, in.getString("KeyId"))
        .compose(key -> store.setRotation(call.accountId(), key.keyId(), false, null, call.receivedAt()))
        .map(k -> new JsonObject());
  }

  public Future<JsonObject> getKeyRotationStatus(CallContext call, JsonObject in) {
    return resolve(call, in.getString("KeyId")).map(key -> {
      JsonObject out = new JsonObject().put("KeyId", arn(key)).put("KeyRotationEnabled", key.rotationEnabled());
      if (key.rotationEnabled()) {
        out.put("RotationPeriodInDays", key.rotationPeriodDays())
            .put("NextRotationDate", key.nextRotation().getEpochSecond());
      }
      if (key.lastRotatedAt() != null) out.put("OnDemandRotationStartDate", key.lastRotatedAt().getEpochSecond());
      return out;
    });
  }

  public Future<JsonObject> rotateKeyOnDemand(CallContext call, JsonObject in) {
    return usable(call, in.getString("KeyId"))
        .compose(key -> store.rotate(call.accountId(), key.keyId(), call.receivedAt()))
        .map(key -> new JsonObject().put("KeyId", arn(key)));
  }

  /**
   * ListKeyRotations: the key's material versions after the first, oldest first (with {@code IncludeKeyMaterial}
   * ALL_KEY_MATERIAL the first too). An automatic rotation that is due is made first, as the first Encrypt would: a
   * caller asking whether the key rotated (a gateway deciding to rotate a vault's data key) sees it now, not after
   * the next encryption. The marker is the last version answered.
   */
  public Future<JsonObject> listKeyRotations(CallContext call, JsonObject in) {
    int limit = limit(in);
    String include = in.getString("IncludeKeyMaterial", "ROTATIONS_ONLY");
    int after = "ALL_KEY_MATERIAL".equals(include) ? 0 : 1;
    if (in.getString("Marker") != null) {
      try {
        after = Math.max(after, Integer.parseInt(in.getString("Marker")));
      } catch (NumberFormatException e) {
        throw ApiException.of("InvalidMarkerException", "Marker '" + in.getString("Marker") + "' is not one ListKeyRotations answered");
      }
    }
    int from = after;
    return resolve(call, in.getString("KeyId"))
        .compose(key -> key.rotationDue(call.receivedAt())
            ? store.rotateIfDue(call.accountId(), key.keyId(), call.receivedAt()) : Future.succeededFuture(key))
        .compose(key -> store.materials(key.keyId(), from, limit + 1).map(materials -> {
          JsonArray out = new JsonArray();
          materials.stream().limit(limit).forEach(m -> {
            JsonObject entry = new JsonObject().put("KeyId", arn(key)).put("RotationDate", m.createdAt().getEpochSecond());
            if (m.rotationType() != null) entry.put("RotationType", m.rotationType());
            out.add(entry);
          });
          JsonObject answer = new JsonObject().put("Rotations", out).put("Truncated", materials.size() > limit);
          if (materials.size() > limit) answer.put("NextMarker", String.valueOf(materials.get(limit - 1).version()));
          return answer;
        }));
  }

  // ---- aliases

  public Future<JsonObject> createAlias(CallContext call, JsonObject in) {
    String alias = checkAliasName(in.getString("AliasName"));
    KmsKeyRef target = KmsKeyRef.parse(in.getString("TargetKeyId"));
    if (target != null && target.isAlias()) {
      throw ApiException.of("ValidationException", "TargetKeyId must name a key, not the alias " + target.aliasName());
    }
    return resolve(call, in.getString("TargetKeyId"))
        .compose(key -> store.createAlias(call.accountId(), alias, key.keyId(), call.receivedAt()))
        .map(created -> {
          if (!created) {
            throw ApiException.of("AlreadyExistsException", "An alias with the name "
                + KmsKeyRef.aliasArn(region, call.accountId(), alias) + " already exists");
          }
          return new JsonObject();
        });
  }

  public Future<JsonObject> deleteAlias(CallContext call, JsonObject in) {
    String alias = checkAliasName(in.getString("AliasName"));
    return store.deleteAlias(call.accountId(), alias).map(deleted -> {
      if (!deleted) throw aliasNotFound(call, alias);
      return new JsonObject();
    });
  }

  public Future<JsonObject> listAliases(CallContext call, JsonObject in) {
    int limit = limit(in);
    Future<UUID> keyFilter = in.getString("KeyId") == null ? Future.succeededFuture(null)
        : resolve(call, in.getString("KeyId")).map(KmsKey::keyId);
    return keyFilter.compose(keyId -> store.listAliases(call.accountId(), keyId, in.getString("Marker"), limit + 1))
        .map(aliases -> {
          JsonArray out = new JsonArray();
          aliases.stream().limit(limit).forEach(a -> out.add(new JsonObject().put("AliasName", a.aliasName())
              .put("AliasArn", KmsKeyRef.aliasArn(region, call.accountId(), a.aliasName()))
              .put("TargetKeyId", a.keyId().toString())
              .put("CreationDate", a.createdAt().getEpochSecond())
              .put("LastUpdatedDate", a.updatedAt().getEpochSecond())));
          JsonObject answer = new JsonObject().put("Aliases", out).put("Truncated", aliases.size() > limit);
          if (aliases.size() > limit) answer.put("NextMarker", aliases.get(limit - 1).aliasName());
          return answer;
        });
  }

  // ---- cryptographic operations

  public Future<JsonObject> encrypt(CallContext call, JsonObject in) {
    checkAlgorithm(in);
    byte[] plaintext = blob(in, "Plaintext");
    Map<String, String> context = context(in);
    return current(call, in.getString("KeyId")).compose(key -> seal(key, plaintext, context)
        .map(blob -> new JsonObject().put("CiphertextBlob", base64(blob)).put("KeyId", arn(key))
            .put("EncryptionAlgorithm", ALGORITHM)));
  }

  public Future<JsonObject> decrypt(CallContext call, JsonObject in) {
    checkAlgorithm(in);
    KmsCiphertext.Parsed blob;
    try {
      blob = KmsCiphertext.parse(blob(in, "CiphertextBlob"));
    } catch (KmsCiphertext.InvalidCiphertext e) {
      throw ApiException.of("InvalidCiphertextException", e.getMessage());
    }
    Map<String, String> context = context(in);
    String named = in.getString("KeyId");
    Future<Void> keyMatches = named == null ? Future.succeededFuture() : resolve(call, named).map(k -> {
      if (!k.keyId().equals(blob.keyId())) {
        throw ApiException.of("IncorrectKeyException", "The key ID in the request does not identify the key that"
            + " encrypted the ciphertext (it names " + arn(k) + ")");
      }
      return null;
    });
    return keyMatches.compose(v -> store.find(call.accountId(), blob.keyId(), call.receivedAt())).compose(key -> {
      if (key == null) {
        throw ApiException.of("InvalidCiphertextException", "The ciphertext names key " + blob.keyId()
            + ", which does not exist in account " + call.accountId());
      }
      checkUsable(key);
      return store.material(key.keyId(), blob.version()).map(material -> {
        if (material == null) {
          throw ApiException.of("InvalidCiphertextException", "The ciphertext names material version " + blob.version()
              + " of key " + arn(key) + ", which it does not have");
        }
        try {
          byte[] plain = KmsCiphertext.decrypt(blob, material, context);
          return new JsonObject().put("KeyId", arn(key)).put("Plaintext", base64(plain))
              .put("EncryptionAlgorithm", ALGORITHM);
        } catch (KmsCiphertext.InvalidCiphertext e) {
          throw ApiException.of("InvalidCiphertextException", e.getMessage());
        }
      });
    });
  }

  public Future<JsonObject> generateDataKey(CallContext call, JsonObject in) {
    return dataKey(call, in, true);
  }

  public Future<JsonObject> generateDataKeyWithoutPlaintext(CallContext call, JsonObject in) {
    return dataKey(call, in, false);
  }

  private Future<JsonObject> dataKey(CallContext call, JsonObject in, boolean withPlaintext) {
    String spec = in.getString("KeySpec");
    Long count = in.getLong("NumberOfBytes");
    if ((spec == null) == (count == null)) {
      throw ApiException.of("ValidationException", "Give either KeySpec or NumberOfBytes, not "
          + (spec == null ? "neither" : "both"));
    }
    int bytes = spec == null ? count.intValue() : "AES_128".equals(spec) ? 16 : 32;
    byte[] plaintext = new byte[bytes];
    RANDOM.nextBytes(plaintext);
    Map<String, String> context = context(in);
    return current(call, in.getString("KeyId")).compose(key -> seal(key, plaintext, context).map(blob -> {
      JsonObject out = new JsonObject().put("CiphertextBlob", base64(blob)).put("KeyId", arn(key));
      if (withPlaintext) out.put("Plaintext", base64(plaintext));
      return out;
    }));
  }

  private Future<byte[]> seal(KmsKey key, byte[] plaintext, Map<String, String> context) {
    return store.material(key.keyId(), key.currentVersion())
        .map(material -> KmsCiphertext.encrypt(key.keyId(), key.currentVersion(), material, plaintext, context));
  }

  // ---- resolving and checking

  /** The key a KeyId names (key id, key ARN, alias name, alias ARN) in the caller's account, in any state. */
  Future<KmsKey> resolve(CallContext call, String keyIdText) {
    KmsKeyRef ref = KmsKeyRef.parse(keyIdText);
    if (ref == null) {
      return Future.failedFuture(ApiException.of("NotFoundException", "Invalid keyId '" + keyIdText
          + "': expected a key id, a key ARN, alias/<name> or an alias ARN"));
    }
    if ((ref.accountId() != null && !ref.accountId().equals(call.accountId()))
        || (ref.region() != null && !ref.region().equals(region))) {
      return Future.failedFuture(ApiException.of("NotFoundException", (ref.isAlias() ? "Alias " : "Key ")
          + "'" + keyIdText + "' does not exist"));
    }
    Future<UUID> keyId = !ref.isAlias() ? Future.succeededFuture(ref.keyId())
        : store.aliasTarget(call.accountId(), ref.aliasName()).map(id -> {
          if (id == null) throw aliasNotFound(call, ref.aliasName());
          return id;
        });
    return keyId.compose(id -> store.find(call.accountId(), id, call.receivedAt())).map(key -> {
      if (key == null) {
        throw ApiException.of("NotFoundException", "Key '" + (ref.isAlias() ? keyIdText
            : KmsKeyRef.keyArn(region, call.accountId(), ref.keyId())) + "' does not exist");
      }
      return key;
    });
  }

  /**
   * The key to encrypt with, rotated first when its automatic rotation is due: the rotation happens with the first
   * encryption after the due date, which is when new material first matters.
   */
  private Future<KmsKey> current(CallContext call, String keyIdText) {
    return usable(call, keyIdText).compose(key -> key.rotationDue(call.receivedAt())
        ? store.rotateIfDue(call.accountId(), key.keyId(), call.receivedAt())
        : Future.succeededFuture(key));
  }

  /** The key, when it may be used: not disabled, not pending deletion. */
  private Future<KmsKey> usable(CallContext call, String keyIdText) {
    return resolve(call, keyIdText).map(key -> {
      checkUsable(key);
      return key;
    });
  }

  private void checkUsable(KmsKey key) {
    if (key.deletionDate() != null) throw pendingDeletion(key);
    if (!key.enabled()) throw ApiException.of("DisabledException", "Key '" + arn(key) + "' is disabled.");
  }

  private ApiException pendingDeletion(KmsKey key) {
    return ApiException.of("KMSInvalidStateException", "Key '" + arn(key) + "' is pending deletion (on "
        + key.deletionDate() + ").");
  }

  private ApiException aliasNotFound(CallContext call, String alias) {
    return ApiException.of("NotFoundException", "Alias " + KmsKeyRef.aliasArn(region, call.accountId(), alias)
        + " is not found.");
  }

  private static String checkAliasName(String alias) {
    if (alias == null || !alias.startsWith("alias/") || alias.length() == "alias/".length()) {
      throw ApiException.of("ValidationException", "AliasName '" + alias + "' must begin with alias/ and name something");
    }
    if (alias.startsWith("alias/aws/")) {
      throw ApiException.of("InvalidAliasNameException", "AliasName '" + alias + "': alias/aws/ is reserved for AWS");
    }
    return alias;
  }

  private static void checkAlgorithm(JsonObject in) {
    String algorithm = in.getString("EncryptionAlgorithm", ALGORITHM);
    if (!ALGORITHM.equals(algorithm)) {
      throw ApiException.of("InvalidKeyUsageException", "EncryptionAlgorithm " + algorithm
          + " is not supported by SYMMETRIC_DEFAULT keys");
    }
  }

  private static int limit(JsonObject in) {
    return in.getLong("Limit", 100L).intValue();
  }

  private static byte[] blob(JsonObject in, String member) {
    try {
      return Base64.getDecoder().decode(in.getString(member));
    } catch (IllegalArgumentException e) {
      throw ApiException.of("ValidationException", member + " is not base64");
    }
  }

  private static Map<String, String> context(JsonObject in) {
    JsonObject raw = in.getJsonObject("EncryptionContext");
    Map<String, String> out = new LinkedHashMap<>();
    if (raw != null) raw.forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue())));
    return out;
  }

  private static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static ApiException unsupported(String message) {
    return ApiException.of("UnsupportedOperationException", message);
  }

  private String arn(KmsKey key) {
    return KmsKeyRef.keyArn(region, key.accountId(), key.keyId());
  }

  private JsonObject metadata(KmsKey key) {
    JsonObject m = new JsonObject()
        .put("AWSAccountId", key.accountId())
        .put("KeyId", key.keyId().toString())
        .put("Arn", arn(key))
        .put("CreationDate", key.createdAt().getEpochSecond())
        .put("Enabled", key.deletionDate() == null && key.enabled())
        .put("Description", key.description())
        .put("KeyUsage", "ENCRYPT_DECRYPT")
        .put("KeyState", key.state())
        .put("Origin", "AWS_KMS")
        .put("KeyManager", "CUSTOMER")
        .put("CustomerMasterKeySpec", ALGORITHM)
        .put("KeySpec", ALGORITHM)
        .put("EncryptionAlgorithms", new JsonArray(List.of(ALGORITHM)))
        .put("MultiRegion", false);
    if (key.deletionDate() != null) {
      m.put("DeletionDate", key.deletionDate().getEpochSecond()).put("PendingDeletionWindowInDays", key.pendingWindowDays());
    }
    return m;
  }
}
