package dev.vaultgate.coordinator.gateway;

import dev.vaultgate.coordinator.backup.TagStore;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

/**
 * The backup-gateway operations on hypervisors and the VMs gateways report: import, test (through
 * a gateway), list, get, update, delete, metadata sync, VMware-to-AWS tag mappings,
 * ListVirtualMachines and GetVirtualMachine. Passwords go in sealed and never come out here.
 */
final class HypervisorOperations {

  /** How often TestHypervisorConfiguration looks for the gateway's answer. */
  static final Duration TEST_POLL = Duration.ofMillis(200);
  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  private final Vertx vertx;
  private final PgHypervisorStore hypervisors;
  private final PgGatewayAdminStore gateways;
  private final PgVirtualMachineStore vms;
  private final TagStore tags;
  private final String region;
  private final long heartbeatSeconds;
  private final Duration testTimeout;
  private final Clock clock;

  HypervisorOperations(Vertx vertx, PgHypervisorStore hypervisors, PgGatewayAdminStore gateways,
      PgVirtualMachineStore vms, TagStore tags, String region, long heartbeatSeconds, Duration testTimeout, Clock clock) {
    this.vertx = vertx;
    this.hypervisors = hypervisors;
    this.gateways = gateways;
    this.vms = vms;
    this.tags = tags;
    this.region = region;
    this.heartbeatSeconds = heartbeatSeconds;
    this.testTimeout = testTimeout;
    this.clock = clock;
  }

  Future<JsonObject> importConfiguration(CallContext call, JsonObject in) {
    checkCredentials(in);
    String host = in.getString("Host");
    String hypervisorId = "hype-" + HexFormat.of().withUpperCase().formatHex(random(4));
    String arn = GatewayArns.hypervisor(region, call.accountId(), hypervisorId);
    Map<String, String> tagMap = GatewayOperations.tagMap(in.getJsonArray("Tags"));
    return hypervisors.hostTaken(call.accountId(), host, null).compose(taken -> {
      if (taken != null) {
        throw ApiException.of("ConflictException", "Host " + host + " is imported already as hypervisor " + taken);
      }
      return hypervisors.create(hypervisorId, call.accountId(), arn, in.getString("Name"), host,
          in.getString("Username"), in.getString("Password"), in.getString("KmsKeyArn"), call.receivedAt());
    }).compose(h -> tagMap.isEmpty() ? Future.succeededFuture() : tags.tag(call.accountId(), arn, tagMap))
        .map(v -> new JsonObject().put("HypervisorArn", arn));
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** A password needs a user name to go with it. */
  private static void checkCredentials(JsonObject in) {
    if (in.getString("Password") != null && in.getString("Username") == null) {
      throw ApiException.of("ValidationException", "A Password needs a Username");
    }
  }

  /**
   * Records a test for the gateway, which gets it with its next heartbeat, and waits on timers (on
   * any replica: the answer is in the database) for the gateway's result, up to the timeout.
   */
  Future<JsonObject> test(CallContext call, JsonObject in) {
    checkCredentials(in);
    String gatewayArn = in.getString("GatewayArn");
    GatewayArns.visible(gatewayArn, "gateway", "Gateway", region, call.accountId());
    String host = in.getString("Host");
    String testId = "test-" + UUID.randomUUID();
    Instant deadline = clock.instant().plus(testTimeout);
    return gateways.find(call.accountId(), gatewayArn).compose(g -> {
      if (g == null) throw GatewayArns.notFound("Gateway", gatewayArn);
      return hypervisors.createTest(testId, call.accountId(), g.gatewayId(), host, in.getString("Username"),
              in.getString("Password"), clock.instant())
          .compose(v -> awaitResult(testId, deadline))
          .eventually(() -> hypervisors.forgetTest(testId))
          .map(result -> {
            if (result.ok() == null) {
              throw ApiException.of("ConflictException", "Gateway " + gatewayArn + " did not answer the test of "
                  + host + " within " + testTimeout.toSeconds() + " s: is it online?");
            }
            if (!result.ok()) {
              throw ApiException.of("ValidationException", "Gateway " + gatewayArn + " cannot use " + host + ": "
                  + (result.message() == null ? "the test failed" : result.message()));
            }
            return new JsonObject();
          });
    });
  }

  private Future<PgHypervisorStore.TestResult> awaitResult(String testId, Instant deadline) {
    return hypervisors.testResult(testId).compose(result -> {
      if (result.ok() != null || !clock.instant().isBefore(deadline)) return Future.succeededFuture(result);
      return vertx.timer(TEST_POLL.toMillis()).compose(x -> awaitResult(testId, deadline));
    });
  }

  Future<JsonObject> list(CallContext call, JsonObject in) {
    int limit = Paging.limit(in.getLong("MaxResults"));
    Instant now = clock.instant();
    return hypervisors.list(call.accountId(), Paging.after(in.getString("NextToken")), limit + 1).map(page -> {
      JsonArray out = new JsonArray();
      String next = Paging.page(page, limit, out, h -> new JsonObject()
          .put("Host", h.host())
          .put("HypervisorArn", h.arn())
          .put("KmsKeyArn", h.kmsKeyArn())
          .put("Name", h.name())
          .put("State", h.stateAt(now, heartbeatSeconds)), Hypervisor::hypervisorId);
      return new JsonObject().put("Hypervisors", out).put("NextToken", next);
    });
  }

  Future<JsonObject> get(CallContext call, JsonObject in) {
    Instant now = clock.instant();
    return find(call, in.getString("HypervisorArn")).map(h -> new JsonObject().put("Hypervisor", new JsonObject()
        .put("Host", h.host())
        .put("HypervisorArn", h.arn())
        .put("KmsKeyArn", h.kmsKeyArn())
        .put("Name", h.name())
        .put("LogGroupArn", h.logGroupArn())
        .put("State", h.stateAt(now, heartbeatSeconds))
        .put("LastSuccessfulMetadataSyncTime", Paging.epoch(h.lastSyncedAt()))
        .put("LatestMetadataSyncStatus", h.syncStatus())
        .put("LatestMetadataSyncStatusMessage", h.syncMessage())));
  }

  Future<JsonObject> update(CallContext call, JsonObject in) {
    String arn = in.getString("HypervisorArn");
    String host = in.getString("Host");
    return find(call, arn).compose(h -> host == null ? Future.succeededFuture((String) null)
            : hypervisors.hostTaken(call.accountId(), host, arn))
        .compose(taken -> {
          if (taken != null) {
            throw ApiException.of("ConflictException", "Host " + host + " is imported already as hypervisor " + taken);
          }
          return hypervisors.update(call.accountId(), arn, in.getString("Name"), host, in.getString("Username"),
              in.getString("Password"), in.getString("LogGroupArn"));
        })
        .map(v -> new JsonObject().put("HypervisorArn", arn));
  }

  Future<JsonObject> delete(CallContext call, JsonObject in) {
    String arn = in.getString("HypervisorArn");
    GatewayArns.visible(arn, "hypervisor", "Hypervisor", region, call.accountId());
    return hypervisors.delete(call.accountId(), arn).map(deleted -> {
      if (!deleted) throw GatewayArns.notFound("Hypervisor", arn);
      return new JsonObject().put("HypervisorArn", arn);
    });
  }

  Future<JsonObject> startSync(CallContext call, JsonObject in) {
    String arn = in.getString("HypervisorArn");
    GatewayArns.visible(arn, "hypervisor", "Hypervisor", region, call.accountId());
    return hypervisors.requestSync(call.accountId(), arn).map(found -> {
      if (!found) throw GatewayArns.notFound("Hypervisor", arn);
      return new JsonObject().put("HypervisorArn", arn);
    });
  }

  Future<JsonObject> putMappings(CallContext call, JsonObject in) {
    String arn = in.getString("HypervisorArn");
    String role = in.getString("IamRoleArn");
    String roleAccount = role.split(":", 6)[4];
    if (!roleAccount.equals(call.accountId())) {
      throw ApiException.of("ValidationException", "IamRoleArn " + role + " is a role of account " + roleAccount
          + ", not of " + call.accountId());
    }
    JsonArray mappings = in.getJsonArray("VmwareToAwsTagMappings");
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Object o : mappings) {
      JsonObject m = (JsonObject) o;
      String key = m.getString("VmwareCategory") + "\u0000" + m.getString("VmwareTagName");
      if (!seen.add(key)) {
        throw ApiException.of("ValidationException", "VMware tag " + m.getString("VmwareCategory") + "/"
            + m.getString("VmwareTagName") + " is mapped twice");
      }
    }
    return find(call, arn).compose(h -> hypervisors.putMappings(call.accountId(), arn, mappings, role))
        .map(v -> new JsonObject().put("HypervisorArn", arn));
  }

  Future<JsonObject> getMappings(CallContext call, JsonObject in) {
    return find(call, in.getString("HypervisorArn")).map(h -> new JsonObject()
        .put("HypervisorArn", h.arn())
        .put("VmwareToAwsTagMappings", h.tagMappings())
        .put("IamRoleArn", h.mappingsRoleArn()));
  }

  Future<JsonObject> listVms(CallContext call, JsonObject in) {
    int limit = Paging.limit(in.getLong("MaxResults"));
    String hypervisorArn = in.getString("HypervisorArn");
    return vms.list(call.accountId(), hypervisorArn, Paging.after(in.getString("NextToken")), limit + 1).map(page -> {
      JsonArray out = new JsonArray();
      String next = Paging.page(page, limit, out, vm -> vm(vm), VirtualMachine::arn);
      return new JsonObject().put("VirtualMachines", out).put("NextToken", next);
    });
  }

  Future<JsonObject> getVm(CallContext call, JsonObject in) {
    String arn = in.getString("ResourceArn");
    GatewayArns.visible(arn, "vm", "Virtual machine", region, call.accountId());
    return vms.find(call.accountId(), arn).map(vm -> {
      if (vm == null) throw GatewayArns.notFound("Virtual machine", arn);
      JsonArray vmwareTags = new JsonArray();
      for (Object o : vm.vmwareTags()) {
        JsonObject t = (JsonObject) o;
        vmwareTags.add(new JsonObject().put("VmwareCategory", t.getString("category"))
            .put("VmwareTagName", t.getString("name")).put("VmwareTagDescription", t.getString("description")));
      }
      return new JsonObject().put("VirtualMachine", vm(vm).put("VmwareTags", vmwareTags));
    });
  }

  private static JsonObject vm(VirtualMachine vm) {
    String hypervisorId = vm.hypervisorArn() == null ? null
        : vm.hypervisorArn().substring(vm.hypervisorArn().lastIndexOf('/') + 1);
    return new JsonObject()
        .put("HostName", vm.hostName())
        .put("HypervisorId", hypervisorId)
        .put("Name", vm.name())
        .put("Path", vm.path())
        .put("ResourceArn", vm.arn())
        .put("LastBackupDate", Paging.epoch(vm.lastBackupAt()));
  }

  /** The caller's hypervisor with this ARN, or ResourceNotFoundException. */
  private Future<Hypervisor> find(CallContext call, String arn) {
    try {
      GatewayArns.visible(arn, "hypervisor", "Hypervisor", region, call.accountId());
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    return hypervisors.find(call.accountId(), arn).map(h -> {
      if (h == null) throw GatewayArns.notFound("Hypervisor", arn);
      return h;
    });
  }
}
