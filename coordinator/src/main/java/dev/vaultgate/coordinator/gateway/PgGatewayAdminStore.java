package dev.vaultgate.coordinator.gateway;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Gateways as the backup-gateway API manages them (table {@code gateways}, which the agent API
 * registers into): list, read, rename, associate with a hypervisor, schedules, delete.
 */
public final class PgGatewayAdminStore {

  static final String COLUMNS = "gateway_id, account_id, arn, name, software_version, last_seen_at, hypervisor_id,"
      + " maintenance_start_time, bandwidth_rate_limit_intervals";
  static final String FIND = "SELECT " + COLUMNS + " FROM gateways WHERE account_id = $1 AND arn = $2";
  static final String LIST = "SELECT " + COLUMNS + " FROM gateways WHERE account_id = $1"
      + " AND ($2::text IS NULL OR gateway_id > $2) ORDER BY gateway_id LIMIT $3";
  static final String RENAME = "UPDATE gateways SET name = $3 WHERE account_id = $1 AND arn = $2";
  static final String ASSOCIATE = "UPDATE gateways SET hypervisor_id = $3 WHERE account_id = $1 AND arn = $2";
  static final String BANDWIDTH =
      "UPDATE gateways SET bandwidth_rate_limit_intervals = $3 WHERE account_id = $1 AND arn = $2";
  static final String MAINTENANCE = "UPDATE gateways SET maintenance_start_time = $3 WHERE account_id = $1 AND arn = $2";
  static final String DROP_INVENTORY = "DELETE FROM inventory WHERE gateway_id = $1";
  static final String DROP_TAGS = "DELETE FROM resource_tags WHERE account_id = $1 AND resource_arn = $2";
  static final String DELETE = "DELETE FROM gateways WHERE gateway_id = $1";
  /** A deleted gateway's certificate stays revoked: the gateway listener's CRL lists it. */
  static final String REVOKE = "INSERT INTO revoked_gateway_certificates (serial, revoked_at)"
      + " SELECT certificate_serial, now() FROM gateways WHERE gateway_id = $1 AND certificate_serial IS NOT NULL"
      + " ON CONFLICT DO NOTHING";

  private final Pool pool;

  public PgGatewayAdminStore(Pool pool) {
    this.pool = pool;
  }

  /** The account's gateway with this ARN, or a null result. */
  public Future<GatewayDetails> find(String accountId, String arn) {
    return pool.preparedQuery(FIND).execute(Tuple.of(accountId, arn))
        .map(rows -> rows.size() == 0 ? null : details(rows.iterator().next()));
  }

  /** A page of the account's gateways by id, after {@code afterId} (null: from the start). */
  public Future<List<GatewayDetails>> list(String accountId, String afterId, int limit) {
    return pool.preparedQuery(LIST).execute(Tuple.of(accountId, afterId, limit)).map(rows -> {
      List<GatewayDetails> out = new ArrayList<>();
      for (Row row : rows) out.add(details(row));
      return out;
    });
  }

  public Future<Boolean> rename(String accountId, String arn, String name) {
    return pool.preparedQuery(RENAME).execute(Tuple.of(accountId, arn, name)).map(r -> r.rowCount() == 1);
  }

  /** Associates the gateway with a hypervisor (null: none); false when there is no such gateway. */
  public Future<Boolean> associate(String accountId, String arn, String hypervisorId) {
    return pool.preparedQuery(ASSOCIATE).execute(Tuple.of(accountId, arn, hypervisorId)).map(r -> r.rowCount() == 1);
  }

  public Future<Boolean> putBandwidthSchedule(String accountId, String arn, JsonArray intervals) {
    return pool.preparedQuery(BANDWIDTH).execute(Tuple.of(accountId, arn, intervals)).map(r -> r.rowCount() == 1);
  }

  public Future<Boolean> putMaintenanceStartTime(String accountId, String arn, JsonObject start) {
    return pool.preparedQuery(MAINTENANCE).execute(Tuple.of(accountId, arn, start)).map(r -> r.rowCount() == 1);
  }

  /**
   * Deletes the gateway with the inventory it reported and its tags; its token stops working and its
   * certificate is revoked.
   * False when there is no such gateway.
   */
  public Future<Boolean> delete(String accountId, String arn) {
    return pool.withTransaction(conn -> conn.preparedQuery(FIND + " FOR UPDATE").execute(Tuple.of(accountId, arn))
        .compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(false);
          String id = rows.iterator().next().getString("gateway_id");
          return drop(conn, accountId, arn, id).map(true);
        }));
  }

  private static Future<Void> drop(SqlConnection conn, String accountId, String arn, String gatewayId) {
    return conn.preparedQuery(DROP_INVENTORY).execute(Tuple.of(gatewayId))
        .compose(r -> conn.preparedQuery(DROP_TAGS).execute(Tuple.of(accountId, arn)))
        .compose(r -> conn.preparedQuery(REVOKE).execute(Tuple.of(gatewayId)))
        .compose(r -> conn.preparedQuery(DELETE).execute(Tuple.of(gatewayId)))
        .mapEmpty();
  }

  static GatewayDetails details(Row row) {
    Object intervals = row.getValue("bandwidth_rate_limit_intervals");
    return new GatewayDetails(row.getString("gateway_id"), row.getString("account_id"), row.getString("arn"),
        row.getString("name"), row.getString("software_version"),
        PgHypervisorStore.instant(row.getOffsetDateTime("last_seen_at")), row.getString("hypervisor_id"),
        (JsonObject) row.getValue("maintenance_start_time"), intervals instanceof JsonArray a ? a : new JsonArray());
  }
}
