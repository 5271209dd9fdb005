package dev.vaultgate.coordinator.kms;

import dev.vaultgate.coordinator.gateway.SecretSealer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * KMS keys, their material versions and aliases in PostgreSQL (tables {@code kms_keys}, {@code kms_key_materials},
 * {@code kms_aliases}, migration V9). Material is sealed by the coordinator's {@link SecretSealer}, bound to the key
 * and version, and opened only to use it. A key whose deletion date has passed is deleted when next looked up or
 * listed, so it is gone for every caller from that moment.
 */
public final class PgKmsKeyStore {

  static final int MATERIAL_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  static final String COLUMNS = "key_id, account_id, description, created_at, enabled, deletion_date,"
      + " pending_window_days, rotation_enabled, rotation_period_days, current_version, last_rotated_at, rotation_since";
  static final String INSERT_ACCOUNT = "INSERT INTO accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING";
  static final String INSERT_KEY = "INSERT INTO kms_keys (key_id, account_id, description, created_at)"
      + " VALUES ($1, $2, $3, $4) RETURNING " + COLUMNS;
  static final String INSERT_MATERIAL = "INSERT INTO kms_key_materials (key_id, version, sealed, created_at, rotation_type)"
      + " VALUES ($1, $2, $3, $4, $5)";
  static final String MATERIALS = "SELECT version, created_at, rotation_type FROM kms_key_materials"
      + " WHERE key_id = $1 AND version > $2 ORDER BY version LIMIT $3";
  static final String PURGE_KEY = "DELETE FROM kms_keys WHERE key_id = $1 AND deletion_date <= $2";
  static final String PURGE_ACCOUNT = "DELETE FROM kms_keys WHERE account_id = $1 AND deletion_date <= $2";
  static final String FIND = "SELECT " + COLUMNS + " FROM kms_keys WHERE account_id = $1 AND key_id = $2";
  static final String FIND_FOR_UPDATE = FIND + " FOR UPDATE";
  static final String MATERIAL = "SELECT sealed FROM kms_key_materials WHERE key_id = $1 AND version = $2";
  static final String SET_ENABLED = "UPDATE kms_keys SET enabled = $3 WHERE account_id = $1 AND key_id = $2"
      + " RETURNING " + COLUMNS;
  static final String SCHEDULE_DELETION = "UPDATE kms_keys SET deletion_date = $3, pending_window_days = $4"
      + " WHERE account_id = $1 AND key_id = $2 RETURNING " + COLUMNS;
  // as in AWS KMS, a key whose deletion is cancelled comes back Disabled
  static final String CANCEL_DELETION = "UPDATE kms_keys SET deletion_date = NULL, pending_window_days = NULL,"
      + " enabled = false WHERE account_id = $1 AND key_id = $2 RETURNING " + COLUMNS;
  // enabling starts the period anew (only when it was off); disabling keeps the period for a later enable
  static final String SET_ROTATION = "UPDATE kms_keys SET rotation_since = CASE WHEN $3 AND NOT rotation_enabled"
      + " THEN $5 ELSE rotation_since END, rotation_enabled = $3, rotation_period_days = COALESCE($4, rotation_period_days)"
      + " WHERE account_id = $1 AND key_id = $2 RETURNING " + COLUMNS;
  static final String ROTATED = "UPDATE kms_keys SET current_version = $3, last_rotated_at = $4"
      + " WHERE account_id = $1 AND key_id = $2 RETURNING " + COLUMNS;
  static final String LIST = "SELECT " + COLUMNS + " FROM kms_keys WHERE account_id = $1"
      + " AND ($2::uuid IS NULL OR key_id > $2) ORDER BY key_id LIMIT $3";
  static final String ALIAS_TARGET = "SELECT key_id FROM kms_aliases WHERE account_id = $1 AND alias_name = $2";
  static final String INSERT_ALIAS = "INSERT INTO kms_aliases (account_id, alias_name, key_id, created_at, updated_at)"
      + " VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING RETURNING alias_name";
  static final String DELETE_ALIAS = "DELETE FROM kms_aliases WHERE account_id = $1 AND alias_name = $2 RETURNING alias_name";
  static final String LIST_ALIASES = "SELECT alias_name, key_id, created_at, updated_at FROM kms_aliases"
      + " WHERE account_id = $1 AND ($2::uuid IS NULL OR key_id = $2) AND ($3::text IS NULL OR alias_name > $3)"
      + " ORDER BY alias_name LIMIT $4";

  /** One alias as listed. */
  public record Alias(String aliasName, UUID keyId, Instant createdAt, Instant updatedAt) {}

  private final Pool pool;
  private final SecretSealer sealer;

  public PgKmsKeyStore(Pool pool, SecretSealer sealer) {
    this.pool = pool;
    this.sealer = sealer;
  }

  static String boundTo(UUID keyId, int version) {
    return "kms key " + keyId + " material " + version;
  }

  private byte[] newSealedMaterial(UUID keyId, int version) {
    byte[] material = new byte[MATERIAL_BYTES];
    RANDOM.nextBytes(material);
    return sealer.sealBytes(material, boundTo(keyId, version));
  }

  public Future<KmsKey> create(String accountId, String description, Instant now) {
    UUID keyId = UUID.randomUUID();
    byte[] sealed = newSealedMaterial(keyId, 1);
    return pool.withTransaction(conn -> conn.preparedQuery(INSERT_ACCOUNT).execute(Tuple.of(accountId))
        .compose(v -> conn.preparedQuery(INSERT_KEY).execute(Tuple.of(keyId, accountId, description, utc(now))))
        .compose(rows -> conn.preparedQuery(INSERT_MATERIAL).execute(Tuple.of(keyId, 1, Buffer.buffer(sealed), utc(now), null))
            .map(v -> key(rows.iterator().next()))));
  }

  /** The key, or null when the account has none by that id (or its deletion date has passed). */
  public Future<KmsKey> find(String accountId, UUID keyId, Instant now) {
    return pool.preparedQuery(PURGE_KEY).execute(Tuple.of(keyId, utc(now)))
        .compose(v -> pool.preparedQuery(FIND).execute(Tuple.of(accountId, keyId)))
        .map(PgKmsKeyStore::first);
  }

  /** The opened material of one version, or null when the key has no such version. */
  public Future<byte[]> material(UUID keyId, int version) {
    return pool.preparedQuery(MATERIAL).execute(Tuple.of(keyId, version)).map(rows -> {
      if (!rows.iterator().hasNext()) return null;
      return sealer.openBytes(rows.iterator().next().getBuffer("sealed").getBytes(), boundTo(keyId, version));
    });
  }

  public Future<KmsKey> setEnabled(String accountId, UUID keyId, boolean enabled) {
    return pool.preparedQuery(SET_ENABLED).execute(Tuple.of(accountId, keyId, enabled)).map(PgKmsKeyStore::first);
  }

  public Future<KmsKey> scheduleDeletion(String accountId, UUID keyId, Instant deletionDate, int windowDays) {
    return pool.preparedQuery(SCHEDULE_DELETION).execute(Tuple.of(accountId, keyId, utc(deletionDate), windowDays))
        .map(PgKmsKeyStore::first);
  }

  public Future<KmsKey> cancelDeletion(String accountId, UUID keyId) {
    return pool.preparedQuery(CANCEL_DELETION).execute(Tuple.of(accountId, keyId)).map(PgKmsKeyStore::first);
  }

  public Future<KmsKey> setRotation(String accountId, UUID keyId, boolean enabled, Integer periodDays, Instant now) {
    return pool.preparedQuery(SET_ROTATION).execute(Tuple.of(accountId, keyId, enabled, periodDays, utc(now)))
        .map(PgKmsKeyStore::first);
  }

  /** New material as the next version, current from now on; the row lock serializes rotations of one key. */
  public Future<KmsKey> rotate(String accountId, UUID keyId, Instant now) {
    return rotate(accountId, keyId, now, false);
  }

  /**
   * Rotates when automatic rotation is due at {@code now}, else answers the key as it is. Checked under the row lock,
   * so callers racing past the due date make one new version, not one each.
   */
  public Future<KmsKey> rotateIfDue(String accountId, UUID keyId, Instant now) {
    return rotate(accountId, keyId, now, true);
  }

  private Future<KmsKey> rotate(String accountId, UUID keyId, Instant now, boolean onlyWhenDue) {
    return pool.withTransaction(conn -> conn.preparedQuery(FIND_FOR_UPDATE).execute(Tuple.of(accountId, keyId))
        .compose(rows -> {
          KmsKey key = first(rows);
          if (key == null || (onlyWhenDue && !key.rotationDue(now))) return Future.succeededFuture(key);
          int next = key.currentVersion() + 1;
          return conn.preparedQuery(INSERT_MATERIAL)
              .execute(Tuple.of(keyId, next, Buffer.buffer(newSealedMaterial(keyId, next)), utc(now),
                  onlyWhenDue ? "AUTOMATIC" : "ON_DEMAND"))
              .compose(v -> conn.preparedQuery(ROTATED).execute(Tuple.of(accountId, keyId, next, utc(now))))
              .map(PgKmsKeyStore::first);
        }));
  }

  /** One material version of a key: its number, when it was made, and how (null: the first, or made before V18). */
  public record Material(int version, Instant createdAt, String rotationType) {}

  /** Up to {@code limit} material versions of a key after version {@code after}, oldest first (ListKeyRotations). */
  public Future<List<Material>> materials(UUID keyId, int after, int limit) {
    return pool.preparedQuery(MATERIALS).execute(Tuple.of(keyId, after, limit)).map(rows -> {
      List<Material> out = new ArrayList<>();
      rows.forEach(r -> out.add(new Material(r.getInteger("version"), instant(r.getOffsetDateTime("created_at")),
          r.getString("rotation_type"))));
      return out;
    });
  }

  /** Up to {@code limit} keys after {@code after} (null: from the first), by key id. */
  public Future<List<KmsKey>> list(String accountId, UUID after, int limit, Instant now) {
    return pool.preparedQuery(PURGE_ACCOUNT).execute(Tuple.of(accountId, utc(now)))
        .compose(v -> pool.preparedQuery(LIST).execute(Tuple.of(accountId, after, limit)))
        .map(rows -> {
          List<KmsKey> out = new ArrayList<>();
          rows.forEach(r -> out.add(key(r)));
          return out;
        });
  }

  /** The key an alias points to, or null. */
  public Future<UUID> aliasTarget(String accountId, String aliasName) {
    return pool.preparedQuery(ALIAS_TARGET).execute(Tuple.of(accountId, aliasName))
        .map(rows -> rows.iterator().hasNext() ? rows.iterator().next().getUUID("key_id") : null);
  }

  /** False when the account already has an alias of that name. */
  public Future<Boolean> createAlias(String accountId, String aliasName, UUID keyId, Instant now) {
    return pool.preparedQuery(INSERT_ALIAS).execute(Tuple.of(accountId, aliasName, keyId, utc(now)))
        .map(rows -> rows.rowCount() == 1);
  }

  /** False when there was no such alias. */
  public Future<Boolean> deleteAlias(String accountId, String aliasName) {
    return pool.preparedQuery(DELETE_ALIAS).execute(Tuple.of(accountId, aliasName)).map(rows -> rows.rowCount() == 1);
  }

  public Future<List<Alias>> listAliases(String accountId, UUID keyId, String after, int limit) {
    return pool.preparedQuery(LIST_ALIASES).execute(Tuple.of(accountId, keyId, after, limit)).map(rows -> {
      List<Alias> out = new ArrayList<>();
      rows.forEach(r -> out.add(new Alias(r.getString("alias_name"), r.getUUID("key_id"),
          instant(r.getOffsetDateTime("created_at")), instant(r.getOffsetDateTime("updated_at")))));
      return out;
    });
  }

  private static KmsKey first(RowSet<Row> rows) {
    return rows.iterator().hasNext() ? key(rows.iterator().next()) : null;
  }

  private static KmsKey key(Row r) {
    return new KmsKey(r.getUUID("key_id"), r.getString("account_id"), r.getString("description"),
        instant(r.getOffsetDateTime("created_at")), r.getBoolean("enabled"), instant(r.getOffsetDateTime("deletion_date")),
        r.getInteger("pending_window_days"), r.getBoolean("rotation_enabled"), r.getInteger("rotation_period_days"),
        r.getInteger("current_version"), instant(r.getOffsetDateTime("last_rotated_at")),
        instant(r.getOffsetDateTime("rotation_since")));
  }

  private static OffsetDateTime utc(Instant t) {
    return t == null ? null : t.atOffset(ZoneOffset.UTC);
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
