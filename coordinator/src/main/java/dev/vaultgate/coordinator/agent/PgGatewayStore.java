package dev.vaultgate.coordinator.agent;

import io.vertx.core.Future;
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
  static final String HEARTBEAT =
      "UPDATE gateways SET last_seen_at = $2, software_version = COALESCE($3, software_version) WHERE gateway_id = $1";
  static final String UPSERT =
      "INSERT INTO inventory (account_id, resource_arn, gateway_id, resource_type, name, tags, reported_at)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, resource_arn) DO UPDATE SET"
          + " gateway_id = EXCLUDED.gateway_id, resource_type = EXCLUDED.resource_type, name = EXCLUDED.name,"
          + " tags = EXCLUDED.tags, reported_at = EXCLUDED.reported_at";
  static final String DROP_UNREPORTED = "DELETE FROM inventory WHERE gateway_id = $1 AND reported_at < $2";
  static final String COUNT = "SELECT count(*) FROM inventory WHERE gateway_id = $1";
  static final String INVENTORY =
      "SELECT resource_arn, resource_type, name, tags FROM inventory WHERE account_id = $1 ORDER BY resource_arn";

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
  public Future<Void> heartbeat(String gatewayId, String softwareVersion, Instant now) {
    return pool.preparedQuery(HEARTBEAT).execute(Tuple.of(gatewayId, db(now), softwareVersion)).mapEmpty();
  }

  @Override
  public Future<Integer> reportInventory(Gateway g, List<InventoryItem> items, boolean complete, Instant now) {
    OffsetDateTime at = db(now.truncatedTo(ChronoUnit.MICROS)); // the database's precision: exact comparisons
    List<Tuple> batch = new ArrayList<>(items.size());
    for (InventoryItem i : items) {
      batch.add(Tuple.of(g.accountId(), i.resourceArn(), g.gatewayId(), i.resourceType(), i.name(),
          new JsonObject(new LinkedHashMap<>(i.tags())), at));
    }
    return pool.withTransaction(conn -> {
      Future<?> upserted = batch.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(UPSERT).executeBatch(batch);
      return upserted
          .compose(r -> complete ? conn.preparedQuery(DROP_UNREPORTED).execute(Tuple.of(g.gatewayId(), at))
              : Future.succeededFuture())
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
        out.add(new InventoryItem(row.getString("resource_arn"), row.getString("resource_type"),
            row.getString("name"), tags));
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
