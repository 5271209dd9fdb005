package dev.vaultgate.coordinator.audit;

import dev.vaultgate.coordinator.wire.ApiCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Builds the CloudTrail record of an API call, an agent call or a service action. Pure: no I/O,
 * no Vert.x runtime; secrets are redacted here, before anything is queued.
 */
public final class ActivityEvents {

  public static final String SERVICE_PRINCIPAL = "backup.amazonaws.com";
  public static final String AGENT_EVENT_SOURCE = "backup-gateway.amazonaws.com";
  /** Larger request parameters (a 10,000-VM inventory) are summarised, not stored whole. */
  static final int MAX_PARAMETERS_CHARS = 16 * 1024;
  static final int MAX_RESOURCES = 50;

  /** Input members that name a resource by name or id rather than by ARN. */
  private static final Map<String, String> NAMED_RESOURCES = Map.of(
      "BackupVaultName", "AWS::Backup::BackupVault",
      "BackupPlanId", "AWS::Backup::BackupPlan",
      "BackupJobId", "AWS::Backup::BackupJob",
      "CopyJobId", "AWS::Backup::CopyJob",
      "RestoreJobId", "AWS::Backup::RestoreJob",
      "LegalHoldId", "AWS::Backup::LegalHold",
      "SelectionId", "AWS::Backup::BackupSelection",
      "FrameworkName", "AWS::Backup::Framework",
      "ReportPlanName", "AWS::Backup::ReportPlan");

  private ActivityEvents() {}

  /** An AWS API call as a front answered it. */
  public static ActivityEvent apiCall(ApiCall call, String region) {
    JsonObject identity;
    String account = null;
    if (call.caller() == null) {
      identity = new JsonObject().put("type", "Unknown");
    } else {
      account = call.caller().accountId();
      identity = new JsonObject()
          .put("type", "IAMUser")
          .put("principalId", call.caller().accessKeyId())
          .put("accountId", account)
          .put("accessKeyId", call.caller().accessKeyId())
          .put("userName", call.caller().accessKeyId());
    }
    String operation = call.operation() == null ? "UnknownOperation" : call.operation();
    Resources resources = new Resources();
    resources.scan(call.input(), null);
    return new ActivityEvent(base(call.at(), eventSource(call.service()), operation, region, account)
        .put("userIdentity", identity)
        .put("sourceIPAddress", call.sourceAddress())
        .put("userAgent", call.userAgent())
        .put("requestParameters", parameters(call.input()))
        .put("errorCode", call.errorCode())
        .put("errorMessage", call.errorCode() == null ? null : call.errorMessage())
        .put("requestID", call.caller() == null ? null : call.caller().requestId())
        .put("readOnly", isReadOnly(operation))
        .put("eventType", "AwsApiCall")
        .put("resources", resources.toJson()));
  }

  /**
   * A call of the agent API: by a gateway (its id, ARN and account), or a registration signed by
   * an access key (gateway null, accessKeyId set). Request and response are redacted (registration
   * answers the gateway's token).
   */
  public static ActivityEvent agentCall(String operation, String accountId, String gatewayId, String gatewayArn,
      String accessKeyId, String sourceAddress, String userAgent, JsonObject request, JsonObject response,
      Map<String, String> pathResources, String errorCode, String errorMessage, String requestId, Instant at,
      String region) {
    JsonObject identity;
    if (gatewayId != null) {
      identity = new JsonObject().put("type", "BackupGateway").put("principalId", gatewayId).put("arn", gatewayArn)
          .put("accountId", accountId).put("userName", gatewayId);
    } else if (accessKeyId != null) {
      identity = new JsonObject().put("type", "IAMUser").put("principalId", accessKeyId).put("accountId", accountId)
          .put("accessKeyId", accessKeyId).put("userName", accessKeyId);
    } else {
      identity = new JsonObject().put("type", "Unknown");
    }
    Resources resources = new Resources();
    if (gatewayArn != null) resources.add(gatewayArn, "AWS::BackupGateway::Gateway");
    pathResources.forEach((name, type) -> resources.addName(name, type));
    resources.scan(request, null);
    resources.scan(response, null);
    return new ActivityEvent(base(at, AGENT_EVENT_SOURCE, operation, region, accountId)
        .put("userIdentity", identity)
        .put("sourceIPAddress", sourceAddress)
        .put("userAgent", userAgent)
        .put("requestParameters", parameters(request))
        .put("responseElements", parameters(response))
        .put("errorCode", errorCode)
        .put("errorMessage", errorCode == null ? null : errorMessage)
        .put("requestID", requestId)
        .put("readOnly", false)
        .put("eventType", "AwsApiCall")
        .put("resources", resources.toJson()));
  }

  /**
   * Something the coordinator did on its own (a scheduler pass started jobs, a lifecycle deleted
   * recovery points, leases expired), recorded as the service acting. {@code accountId} may be
   * null when the action spans accounts.
   */
  public static ActivityEvent serviceAction(String eventName, String accountId, JsonObject details, Instant at,
      String region) {
    JsonObject identity = new JsonObject().put("type", "AWSService").put("invokedBy", SERVICE_PRINCIPAL);
    return new ActivityEvent(base(at, SERVICE_PRINCIPAL, eventName, region, accountId)
        .put("userIdentity", identity)
        .put("sourceIPAddress", SERVICE_PRINCIPAL)
        .put("userAgent", SERVICE_PRINCIPAL)
        .put("readOnly", false)
        .put("eventType", "AwsServiceEvent")
        .put("serviceEventDetails", details)
        .put("resources", new JsonArray()));
  }

  private static JsonObject base(Instant at, String source, String name, String region, String account) {
    return new JsonObject()
        .put("eventVersion", "1.08")
        .put("eventTime", at.truncatedTo(ChronoUnit.SECONDS).toString())
        .put("eventSource", source)
        .put("eventName", name)
        .put("awsRegion", region)
        .put("eventID", UUID.randomUUID().toString())
        .put("managementEvent", true)
        .put("eventCategory", "Management")
        .put("recipientAccountId", account);
  }

  static String eventSource(String service) {
    if (service == null) return "unknown";
    String s = service.toLowerCase(Locale.ROOT).replace(' ', '-');
    return s.contains(".") ? s : s + ".amazonaws.com";
  }

  static boolean isReadOnly(String operation) {
    return operation.startsWith("Describe") || operation.startsWith("List") || operation.startsWith("Get")
        || operation.startsWith("Lookup") || operation.startsWith("Export");
  }

  private static JsonObject parameters(JsonObject input) {
    if (input == null) return null;
    JsonObject redacted = Redaction.redacted(input);
    String text = redacted.encode();
    if (text.length() <= MAX_PARAMETERS_CHARS) return redacted;
    // a summary rather than the whole: the resources list still names what was touched
    JsonObject summary = new JsonObject().put("truncated", true).put("chars", text.length());
    for (Map.Entry<String, Object> e : redacted) {
      Object v = e.getValue();
      if (v instanceof JsonArray a) summary.put(e.getKey() + "Count", a.size());
      else if (!(v instanceof JsonObject)) summary.put(e.getKey(), v);
    }
    return summary;
  }

  /** The CloudTrail type of an ARN's resource: {@code AWS::Backup::BackupVault}, {@code AWS::BackupGateway::VirtualMachine}. */
  static String arnType(String arn) {
    String[] parts = arn.split(":", 6);
    if (parts.length < 6) return "Unknown";
    String service = parts[2];
    String resource = parts[5];
    int cut = indexOfAny(resource);
    String kind = cut < 0 ? resource : resource.substring(0, cut);
    if (kind.equals("vm")) kind = "virtual-machine";
    String serviceName = switch (service) {
      case "iam" -> "IAM";
      case "ec2" -> "EC2";
      case "s3" -> "S3";
      case "kms" -> "KMS";
      case "sns" -> "SNS";
      default -> pascal(service);
    };
    return "AWS::" + serviceName + "::" + pascal(kind);
  }

  private static int indexOfAny(String s) {
    int colon = s.indexOf(':');
    int slash = s.indexOf('/');
    if (colon < 0) return slash;
    if (slash < 0) return colon;
    return Math.min(colon, slash);
  }

  private static String pascal(String hyphenated) {
    StringBuilder out = new StringBuilder();
    for (String w : hyphenated.split("[-_]")) {
      if (w.isEmpty()) continue;
      out.append(Character.toUpperCase(w.charAt(0))).append(w.substring(1));
    }
    return out.toString();
  }

  /** The resources an event names, in the order found, each once, at most {@link #MAX_RESOURCES}. */
  private static final class Resources {
    private final Map<String, JsonObject> byName = new LinkedHashMap<>();

    void add(String arn, String type) {
      if (byName.size() < MAX_RESOURCES) byName.putIfAbsent(arn, new JsonObject().put("ARN", arn).put("type", type));
    }

    void addName(String name, String type) {
      if (byName.size() < MAX_RESOURCES) {
        byName.putIfAbsent(name, new JsonObject().put("resourceName", name).put("type", type));
      }
    }

    void scan(Object value, String member) {
      if (value instanceof JsonObject o) {
        for (Map.Entry<String, Object> e : o) scan(e.getValue(), e.getKey());
      } else if (value instanceof JsonArray a) {
        for (Object item : a) scan(item, member);
      } else if (value instanceof Map<?, ?> m) {
        for (Map.Entry<?, ?> e : m.entrySet()) scan(e.getValue(), String.valueOf(e.getKey()));
      } else if (value instanceof String s) {
        if (s.startsWith("arn:") && (member == null || !Redaction.isSecret(member))) {
          add(s, arnType(s));
        } else if (member != null && NAMED_RESOURCES.containsKey(member)) {
          addName(s, NAMED_RESOURCES.get(member));
        }
      }
    }

    JsonArray toJson() {
      return new JsonArray(new java.util.ArrayList<>(byName.values()));
    }
  }
}
