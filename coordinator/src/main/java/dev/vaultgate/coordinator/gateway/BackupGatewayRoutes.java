package dev.vaultgate.coordinator.gateway;

import dev.vaultgate.coordinator.backup.PgTagStore;
import dev.vaultgate.coordinator.wire.OperationHandler;
import dev.vaultgate.coordinator.wire.ServiceModel;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The backup-gateway operations Vaultgate implements, by name; every other operation of the model
 * is answered 501 by the front.
 */
public final class BackupGatewayRoutes {

  private BackupGatewayRoutes() {}

  public static Map<String, OperationHandler> handlers(Vertx vertx, ServiceModel model, Pool pool, SecretSealer sealer,
      String region, long heartbeatSeconds, Duration testTimeout, Clock clock) {
    PgGatewayAdminStore gateways = new PgGatewayAdminStore(pool);
    PgHypervisorStore hypervisors = new PgHypervisorStore(pool, sealer);
    PgVirtualMachineStore vms = new PgVirtualMachineStore(pool);
    PgTagStore tags = new PgTagStore(pool);
    GatewayOperations g = new GatewayOperations(gateways, new PgActivationStore(pool), hypervisors, vms, tags, region);
    HypervisorOperations h =
        new HypervisorOperations(vertx, hypervisors, gateways, vms, tags, region, heartbeatSeconds, testTimeout, clock);
    Map<String, OperationHandler> m = new LinkedHashMap<>();
    m.put("CreateGateway", g::create);
    m.put("ListGateways", g::list);
    m.put("GetGateway", g::get);
    m.put("UpdateGatewayInformation", g::update);
    m.put("AssociateGatewayToServer", g::associate);
    m.put("DisassociateGatewayFromServer", g::disassociate);
    m.put("DeleteGateway", g::delete);
    m.put("PutBandwidthRateLimitSchedule", g::putBandwidthSchedule);
    m.put("GetBandwidthRateLimitSchedule", g::getBandwidthSchedule);
    m.put("PutMaintenanceStartTime", g::putMaintenanceStartTime);
    m.put("TagResource", g::tag);
    m.put("UntagResource", g::untag);
    m.put("ListTagsForResource", g::listTags);
    m.put("ImportHypervisorConfiguration", h::importConfiguration);
    m.put("TestHypervisorConfiguration", h::test);
    m.put("ListHypervisors", h::list);
    m.put("GetHypervisor", h::get);
    m.put("UpdateHypervisor", h::update);
    m.put("DeleteHypervisor", h::delete);
    m.put("StartVirtualMachinesMetadataSync", h::startSync);
    m.put("PutHypervisorPropertyMappings", h::putMappings);
    m.put("GetHypervisorPropertyMappings", h::getMappings);
    m.put("ListVirtualMachines", h::listVms);
    m.put("GetVirtualMachine", h::getVm);
    for (String name : m.keySet()) model.operation(name); // each names an operation of the model
    return m;
  }
}
