package dev.vaultgate.coordinator.agent;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Gateways and inventory in PostgreSQL (tables {@code gateways}, {@code inventory}). */
public final class PgGatewayStore implements GatewayStore {

  static final String COLUMNS = "gateway_id, account_id, arn, name, software_version, registered_at, last_seen_at";
  static final String INSERT_ACCOUNT = "INSERT INTO accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING";
  static final String INSERT = "INSERT INTO gateways (" + COLUMNS + ", token_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
  static final String FIND_BY_TOKEN = "SELECT " + COLUMNS + " FROM gateways WHERE token_sha256 = $1";
  static final String FIND_BY_SERIAL = "SELECT " + COLUMNS + " FROM gateways WHERE certificate_serial = $1";
  static final String REVOKED = "SELECT serial FROM revoked_gateway_certificates ORDER BY revoked_at";
  static final String HEARTBEAT =
      "UPDATE gateways SET last_seen_at = $2, software_version = COALESCE($3, software_version) WHERE gateway_id = $1";
  static final String UPSERT =
      "INSERT INTO inventory (account_id, resource_arn, gateway_id, resource_type, name, tags, reported_at,"
          + " hypervisor_arn, host_name, path, vmware_tags, metadata_synced_at)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (account_id, resource_arn) DO UPDATE SET"
          + " gateway_id = EXCLUDED.gateway_id, resource_type = EXCLUDED.resource_type, name = EXCLUDED.name,"
          + " tags = EXCLUDED.tags, reported_at = EXCLUDED.reported_at, hypervisor_arn = EXCLUDED.hypervisor_arn,"
          + " host_name = EXCLUDED.host_name, path = EXCLUDED.path, vmware_tags = EXCLUDED.vmware_tags,"
          + " metadata_synced_at = COALESCE(EXCLUDED.metadata_synced_at, inventory.metadata_synced_at)";
  /** A report with metadataSyncedAt completes its hypervisor's metadata sync. */
  static final String SYNCED =
      "UPDATE hypervisors h SET last_synced_at = s.at, sync_status = 'SUCCEEDED', sync_message = NULL"
          + " FROM (SELECT hypervisor_arn, max(metadata_synced_at) AS at FROM inventory WHERE gateway_id = $1"
          + " AND metadata_synced_at IS NOT NULL GROUP BY hypervisor_arn) s"
          + " WHERE h.account_id = $2 AND h.arn = s.hypervisor_arn AND (h.last_synced_at IS NULL OR s.at > h.last_synced_at)";
  static final String DROP_UNREPORTED = "DELETE FROM inventory WHERE gateway_id = $1 AND reported_at < $2";
  static final String COUNT = "SELECT count(*) FROM inventory WHERE gateway_id = $1";
  static final String INVENTORY =
      "SELECT resource_arn, resource_type, name, tags, hypervisor_arn, host_name, path, vmware_tags, metadata_synced_at"
          + " FROM inventory WHERE account_id = $1 ORDER BY resource_arn";

  static final String SETTINGS =
      "SELECT hypervisor_id, maintenance_start_time, bandwidth_rate_limit_intervals FROM gateways WHERE gateway_id = $1";

  private final Pool pool;

  public PgGatewayStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<Gateway> register(Gateway g, String tokenSha256) {
    return pool.withTransaction(conn -> conn.preparedQuery(INSERT_ACCOUNT)
        .execute(Tuple.of(g.accountId()))
        .compose(r -> conn.preparedQuery(INSERT).execute(Tuple.tuple().addValue(g.gatewayId()).addValue(g.accountId())
            .addValue(g.arn()).addValue(g.name()).addValue(g.softwareVersion()).addValue(db(g.registeredAt()))
            .addValue(db(g.lastSeenAt())).addValue(tokenSha256)))
        .map(g));
  }

  @Override
  public Future<Gateway> findByToken(String tokenSha256) {
    return pool.preparedQuery(FIND_BY_TOKEN).execute(Tuple.of(tokenSha256))
        .map(rows -> rows.size() == 0 ? null : gateway(rows.iterator().next()));
  }

  @Override
  public Future<Gateway> findByCertificateSerial(String serialHex) {
    return pool.preparedQuery(FIND_BY_SERIAL).execute(Tuple.of(serialHex))
        .map(rows -> rows.size() == 0 ? null : gateway(rows.iterator().next()));
  }

  @Override
  public Future<List<String>> revokedCertificateSerials() {
    return pool.preparedQuery(REVOKED).execute().map(rows -> {
      List<String> out = new ArrayList<>();
      for (Row row : rows) out.add(row.getString(0));
      return out;
    });
  }

  @Override
  public Future<Settings> settings(String gatewayId) {
    return pool.preparedQuery(SETTINGS).execute(Tuple.of(gatewayId)).map(rows -> {
      if (rows.size() == 0) return new Settings(null, null, new JsonArray());
      Row row = rows.iterator().next();
      Object intervals = row.getValue("bandwidth_rate_limit_intervals");
      return new Settings(row.getString("hypervisor_id"), (JsonObject) row.getValue("maintenance_start_time"),
          intervals instanceof JsonArray a ? a : new JsonArray());
    });
  }

  @Override
  public Future<Void> heartbeat(String gatewayId, String softwareVersion, Instant now) {
    return pool.preparedQuery(HEARTBEAT).execute(Tuple.of(gatewayId, db(now), softwareVersion)).mapEmpty();
  }

  @Override
  public Future<Integer> reportInventory(Gateway g, List<InventoryItem> items, boolean complete, Instant now) {
    OffsetDateTime at = db(now.truncatedTo(ChronoUnit.MICROS)); // the database's precision: exact comparisons
    List<Tuple> batch = new ArrayList<>(items.size());
    for (InventoryItem i : items) {
      batch.add(Tuple.tuple().addValue(g.accountId()).addValue(i.resourceArn()).addValue(g.gatewayId())
          .addValue(i.resourceType()).addValue(i.name()).addValue(new JsonObject(new LinkedHashMap<>(i.tags())))
          .addValue(at).addValue(i.hypervisorArn()).addValue(i.hostName()).addValue(i.path())
          .addValue(i.vmwareTags() == null ? new JsonArray() : i.vmwareTags()).addValue(db(i.metadataSyncedAt())));
    }
    return pool.withTransaction(conn -> {
      Future<?> upserted = batch.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(UPSERT).executeBatch(batch);
      return upserted
          .compose(r -> complete ? conn.preparedQuery(DROP_UNREPORTED).execute(Tuple.of(g.gatewayId(), at))
              : Future.succeededFuture())
          .compose(r -> conn.preparedQuery(SYNCED).execute(Tuple.of(g.gatewayId(), g.accountId())))
          .compose(r -> conn.preparedQuery(COUNT).execute(Tuple.of(g.gatewayId())))
          .map(rows -> rows.iterator().next().getLong(0).intValue());
    });
  }

  @Override
  public Future<List<InventoryItem>> inventory(String accountId) {
    return pool.preparedQuery(INVENTORY).execute(Tuple.of(accountId)).map(rows -> {
      List<InventoryItem> out = new ArrayList<>();
      for (Row row : rows) {
        Map<String, String> tags = new LinkedHashMap<>();
        ((JsonObject) row.getValue("tags")).forEach(e -> tags.put(e.getKey(), String.valueOf(e.getValue())));
        OffsetDateTime synced = row.getOffsetDateTime("metadata_synced_at");
        out.add(new InventoryItem(row.getString("resource_arn"), row.getString("resource_type"),
            row.getString("name"), tags, row.getString("hypervisor_arn"), row.getString("host_name"),
            row.getString("path"), (JsonArray) row.getValue("vmware_tags"), synced == null ? null : synced.toInstant()));
      }
      return out;
    });
  }

  private static Gateway gateway(Row row) {
    return new Gateway(row.getString("gateway_id"), row.getString("account_id"), row.getString("arn"),
        row.getString("name"), row.getString("software_version"),
        row.getOffsetDateTime("registered_at").toInstant(), row.getOffsetDateTime("last_seen_at").toInstant());
  }

  private static OffsetDateTime db(Instant t) {
    return t == null ? null : t.atOffset(ZoneOffset.UTC);
  }
}
