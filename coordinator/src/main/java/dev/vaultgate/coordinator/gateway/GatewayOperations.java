package dev.vaultgate.coordinator.gateway;

import dev.vaultgate.coordinator.backup.TagStore;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.CallContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The backup-gateway operations on gateways: CreateGateway (from an activation key), List/Get,
 * UpdateGatewayInformation, Associate/DisassociateGatewayToServer, DeleteGateway, the bandwidth
 * rate-limit schedule and maintenance start time; and tags of gateways, hypervisors and VMs.
 */
final class GatewayOperations {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final PgGatewayAdminStore gateways;
  private final PgActivationStore activations;
  private final PgHypervisorStore hypervisors;
  private final PgVirtualMachineStore vms;
  private final TagStore tags;
  private final String region;

  GatewayOperations(PgGatewayAdminStore gateways, PgActivationStore activations, PgHypervisorStore hypervisors,
      PgVirtualMachineStore vms, TagStore tags, String region) {
    this.gateways = gateways;
    this.activations = activations;
    this.hypervisors = hypervisors;
    this.vms = vms;
    this.tags = tags;
    this.region = region;
  }

  Future<JsonObject> create(CallContext call, JsonObject in) {
    String id = "sgw-" + HexFormat.of().withUpperCase().formatHex(random(4));
    String arn = GatewayArns.gateway(region, call.accountId(), id);
    // nobody holds a token with this hash: the gateway cannot call until its appliance claims it
    String placeholder = sha256("unclaimed:" + HexFormat.of().formatHex(random(32)));
    Map<String, String> tagMap = tagMap(in.getJsonArray("Tags"));
    return activations.use(in.getString("ActivationKey"), call.accountId(), id, arn, in.getString("GatewayDisplayName"),
            placeholder, call.receivedAt())
        .compose(v -> tagMap.isEmpty() ? Future.succeededFuture() : tags.tag(call.accountId(), arn, tagMap))
        .map(v -> new JsonObject().put("GatewayArn", arn));
  }

  Future<JsonObject> list(CallContext call, JsonObject in) {
    int limit = Paging.limit(in.getLong("MaxResults"));
    return gateways.list(call.accountId(), Paging.after(in.getString("NextToken")), limit + 1).map(page -> {
      JsonArray out = new JsonArray();
      String next = Paging.page(page, limit, out, g -> new JsonObject()
          .put("GatewayArn", g.arn())
          .put("GatewayDisplayName", g.displayName())
          .put("GatewayType", "BACKUP_VM")
          .put("HypervisorId", g.hypervisorId())
          .put("LastSeenTime", Paging.epoch(g.lastSeenAt())), GatewayDetails::gatewayId);
      return new JsonObject().put("Gateways", out).put("NextToken", next);
    });
  }

  Future<JsonObject> get(CallContext call, JsonObject in) {
    return find(call, in.getString("GatewayArn")).map(g -> new JsonObject().put("Gateway", new JsonObject()
        .put("GatewayArn", g.arn())
        .put("GatewayDisplayName", g.displayName())
        .put("GatewayType", "BACKUP_VM")
        .put("HypervisorId", g.hypervisorId())
        .put("LastSeenTime", Paging.epoch(g.lastSeenAt()))
        .put("MaintenanceStartTime", g.maintenanceStartTime())
        .put("SoftwareVersion", g.softwareVersion())));
  }

  Future<JsonObject> update(CallContext call, JsonObject in) {
    String arn = in.getString("GatewayArn");
    String name = in.getString("GatewayDisplayName");
    return find(call, arn).compose(g -> name == null ? Future.succeededFuture(true)
            : gateways.rename(call.accountId(), arn, name))
        .map(v -> new JsonObject().put("GatewayArn", arn));
  }

  Future<JsonObject> associate(CallContext call, JsonObject in) {
    String arn = in.getString("GatewayArn");
    String serverArn = in.getString("ServerArn");
    return find(call, arn).compose(g -> {
      GatewayArns.visible(serverArn, "hypervisor", "Hypervisor", region, call.accountId());
      return hypervisors.find(call.accountId(), serverArn).compose(h -> {
        if (h == null) throw GatewayArns.notFound("Hypervisor", serverArn);
        if (g.hypervisorId() != null && !g.hypervisorId().equals(h.hypervisorId())) {
          throw ApiException.of("ConflictException", "Gateway " + arn + " is associated with hypervisor "
              + g.hypervisorId() + ": disassociate it first");
        }
        return gateways.associate(call.accountId(), arn, h.hypervisorId());
      });
    }).map(v -> new JsonObject().put("GatewayArn", arn));
  }

  Future<JsonObject> disassociate(CallContext call, JsonObject in) {
    String arn = in.getString("GatewayArn");
    return find(call, arn).compose(g -> {
      if (g.hypervisorId() == null) {
        throw ApiException.of("ConflictException", "Gateway " + arn + " is not associated with a hypervisor");
      }
      return gateways.associate(call.accountId(), arn, null);
    }).map(v -> new JsonObject().put("GatewayArn", arn));
  }

  Future<JsonObject> delete(CallContext call, JsonObject in) {
    String arn = in.getString("GatewayArn");
    GatewayArns.visible(arn, "gateway", "Gateway", region, call.accountId());
    return gateways.delete(call.accountId(), arn).map(deleted -> {
      if (!deleted) throw GatewayArns.notFound("Gateway", arn);
      return new JsonObject().put("GatewayArn", arn);
    });
  }

  Future<JsonObject> putBandwidthSchedule(CallContext call, JsonObject in) {
    String arn = in.getString("GatewayArn");
    JsonArray intervals = in.getJsonArray("BandwidthRateLimitIntervals");
    checkIntervals(intervals);
    return find(call, arn).compose(g -> gateways.putBandwidthSchedule(call.accountId(), arn, intervals))
        .map(v -> new JsonObject().put("GatewayArn", arn));
  }

  /** Each interval ends after it starts on its days, names each day once, and no two overlap. */
  static void checkIntervals(JsonArray intervals) {
    List<int[]> taken = new ArrayList<>(); // {day, start minute, end minute}
    for (int i = 0; i < intervals.size(); i++) {
      JsonObject iv = intervals.getJsonObject(i);
      String at = "BandwidthRateLimitIntervals[" + i + "]";
      int start = (int) (iv.getLong("StartHourOfDay") * 60 + iv.getLong("StartMinuteOfHour"));
      int end = (int) (iv.getLong("EndHourOfDay") * 60 + iv.getLong("EndMinuteOfHour"));
      if (end <= start) {
        throw ApiException.of("ValidationException", at + ": it must end after it starts, on the same day ("
            + hhmm(start) + " to " + hhmm(end) + ")");
      }
      Set<Long> days = new HashSet<>();
      for (Object d : iv.getJsonArray("DaysOfWeek")) {
        long day = ((Number) d).longValue();
        if (!days.add(day)) throw ApiException.of("ValidationException", at + ".DaysOfWeek names day " + day + " twice");
        for (int[] t : taken) {
          if (t[0] == day && start <= t[2] && t[1] <= end) {
            throw ApiException.of("ValidationException", at + " overlaps another interval on day " + day);
          }
        }
        taken.add(new int[] {(int) day, start, end});
      }
    }
  }

  private static String hhmm(int minutes) {
    return String.format("%02d:%02d", minutes / 60, minutes % 60);
  }

  Future<JsonObject> getBandwidthSchedule(CallContext call, JsonObject in) {
    return find(call, in.getString("GatewayArn")).map(g -> new JsonObject()
        .put("GatewayArn", g.arn())
        .put("BandwidthRateLimitIntervals", g.bandwidthRateLimitIntervals()));
  }

  Future<JsonObject> putMaintenanceStartTime(CallContext call, JsonObject in) {
    String arn = in.getString("GatewayArn");
    if (in.getLong("DayOfWeek") != null && in.getLong("DayOfMonth") != null) {
      throw ApiException.of("ValidationException",
          "Give DayOfWeek (weekly maintenance) or DayOfMonth (monthly), not both");
    }
    JsonObject start = new JsonObject().put("HourOfDay", in.getLong("HourOfDay")).put("MinuteOfHour", in.getLong("MinuteOfHour"));
    if (in.getLong("DayOfWeek") != null) start.put("DayOfWeek", in.getLong("DayOfWeek"));
    if (in.getLong("DayOfMonth") != null) start.put("DayOfMonth", in.getLong("DayOfMonth"));
    return find(call, arn).compose(g -> gateways.putMaintenanceStartTime(call.accountId(), arn, start))
        .map(v -> new JsonObject().put("GatewayArn", arn));
  }

  // ---- tags of gateways, hypervisors and VMs

  Future<JsonObject> tag(CallContext call, JsonObject in) {
    String arn = in.getString("ResourceARN");
    Map<String, String> add = tagMap(in.getJsonArray("Tags"));
    return exists(call, arn).compose(v -> tags.tag(call.accountId(), arn, add))
        .map(v -> new JsonObject().put("ResourceARN", arn));
  }

  Future<JsonObject> untag(CallContext call, JsonObject in) {
    String arn = in.getString("ResourceARN");
    List<String> keys = new ArrayList<>();
    in.getJsonArray("TagKeys").forEach(k -> keys.add((String) k));
    return exists(call, arn).compose(v -> tags.untag(call.accountId(), arn, keys))
        .map(v -> new JsonObject().put("ResourceARN", arn));
  }

  Future<JsonObject> listTags(CallContext call, JsonObject in) {
    String arn = in.getString("ResourceArn");
    return exists(call, arn).compose(v -> tags.tags(call.accountId(), arn)).map(found -> {
      JsonArray out = new JsonArray();
      found.forEach((k, v) -> out.add(new JsonObject().put("Key", k).put("Value", v)));
      return new JsonObject().put("ResourceArn", arn).put("Tags", out);
    });
  }

  /** Succeeds when the ARN names a gateway, hypervisor or VM of the caller's account. */
  private Future<Void> exists(CallContext call, String arn) {
    GatewayArns.Parsed p = GatewayArns.parse(arn);
    if (p == null || !p.region().equals(region) || !p.accountId().equals(call.accountId())) {
      return Future.failedFuture(GatewayArns.notFound("Resource", arn));
    }
    Future<?> found = switch (p.type()) {
      case "gateway" -> gateways.find(call.accountId(), arn);
      case "hypervisor" -> hypervisors.find(call.accountId(), arn);
      default -> vms.find(call.accountId(), arn);
    };
    return found.map(r -> {
      if (r == null) throw GatewayArns.notFound("Resource", arn);
      return null;
    });
  }

  /** The caller's gateway with this ARN, or ResourceNotFoundException. */
  private Future<GatewayDetails> find(CallContext call, String arn) {
    try {
      GatewayArns.visible(arn, "gateway", "Gateway", region, call.accountId());
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    return gateways.find(call.accountId(), arn).map(g -> {
      if (g == null) throw GatewayArns.notFound("Gateway", arn);
      return g;
    });
  }

  /** Tags as the model lists them ({@code [{"Key", "Value"}]}); a key given twice is refused. */
  static Map<String, String> tagMap(JsonArray list) {
    Map<String, String> out = new LinkedHashMap<>();
    if (list == null) return out;
    for (Object o : list) {
      JsonObject t = (JsonObject) o;
      if (out.put(t.getString("Key"), t.getString("Value")) != null) {
        throw ApiException.of("ValidationException", "Tag key " + t.getString("Key") + " is given twice");
      }
    }
    return out;
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
