package dev.vaultgate.coordinator.gateway;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** The virtual machines gateways reported (table {@code inventory}), as the backup-gateway API lists them. */
public final class PgVirtualMachineStore {

  static final String SELECT = "SELECT i.resource_arn, i.name, i.hypervisor_arn, i.host_name, i.path, i.vmware_tags,"
      + " (SELECT max(p.created_at) FROM recovery_points p WHERE p.account_id = i.account_id"
      + " AND p.resource_arn = i.resource_arn AND p.status = 'COMPLETED') AS last_backup_at"
      + " FROM inventory i WHERE i.account_id = $1 AND i.resource_type = 'VirtualMachine'";
  static final String LIST = SELECT + " AND ($2::text IS NULL OR i.hypervisor_arn = $2)"
      + " AND ($3::text IS NULL OR i.resource_arn > $3) ORDER BY i.resource_arn LIMIT $4";
  static final String FIND = SELECT + " AND i.resource_arn = $2";

  private final Pool pool;

  public PgVirtualMachineStore(Pool pool) {
    this.pool = pool;
  }

  /** A page of the account's VMs by ARN, of one hypervisor (or all: null), after {@code afterArn}. */
  public Future<List<VirtualMachine>> list(String accountId, String hypervisorArn, String afterArn, int limit) {
    return pool.preparedQuery(LIST).execute(Tuple.of(accountId, hypervisorArn, afterArn, limit)).map(rows -> {
      List<VirtualMachine> out = new ArrayList<>();
      for (Row row : rows) out.add(vm(row));
      return out;
    });
  }

  /** The account's VM with this ARN, or a null result. */
  public Future<VirtualMachine> find(String accountId, String arn) {
    return pool.preparedQuery(FIND).execute(Tuple.of(accountId, arn))
        .map(rows -> rows.size() == 0 ? null : vm(rows.iterator().next()));
  }

  private static VirtualMachine vm(Row row) {
    Object tags = row.getValue("vmware_tags");
    return new VirtualMachine(row.getString("resource_arn"), row.getString("name"), row.getString("hypervisor_arn"),
        row.getString("host_name"), row.getString("path"), tags instanceof JsonArray a ? a : new JsonArray(),
        PgHypervisorStore.instant(row.getOffsetDateTime("last_backup_at")));
  }
}
