package dev.vaultgate.coordinator.gateway;

import dev.vaultgate.coordinator.wire.ApiException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ARNs of the backup-gateway API ({@code arn:aws:backup-gateway:<region>:<account>:<type>/<id>},
 * type {@code gateway}, {@code hypervisor} or {@code vm}), and the check that one names a resource
 * the caller may see: its account and this coordinator's region. Another account's resource is
 * answered as one that does not exist, so accounts learn nothing of each other.
 */
public final class GatewayArns {

  private static final Pattern ARN =
      Pattern.compile("arn:aws:backup-gateway:([a-z0-9-]+):([0-9]{12}):(gateway|hypervisor|vm)/([A-Za-z0-9._-]+)");

  /** The parts of a backup-gateway ARN. */
  public record Parsed(String region, String accountId, String type, String id) {}

  private GatewayArns() {}

  public static String gateway(String region, String accountId, String gatewayId) {
    return "arn:aws:backup-gateway:" + region + ":" + accountId + ":gateway/" + gatewayId;
  }

  public static String hypervisor(String region, String accountId, String hypervisorId) {
    return "arn:aws:backup-gateway:" + region + ":" + accountId + ":hypervisor/" + hypervisorId;
  }

  /** The parts, or null when the text is no backup-gateway ARN. */
  public static Parsed parse(String arn) {
    Matcher m = ARN.matcher(arn);
    return m.matches() ? new Parsed(m.group(1), m.group(2), m.group(3), m.group(4)) : null;
  }

  /**
   * The ARN's parts when it names a resource of {@code type} the caller's account could own here;
   * otherwise ResourceNotFoundException naming the {@code what} ("Gateway", "Hypervisor", ...).
   */
  public static Parsed visible(String arn, String type, String what, String region, String accountId) {
    Parsed p = parse(arn);
    if (p == null || !p.type().equals(type) || !p.region().equals(region) || !p.accountId().equals(accountId)) {
      throw notFound(what, arn);
    }
    return p;
  }

  public static ApiException notFound(String what, String arn) {
    return ApiException.notFound(what + " " + arn + " does not exist");
  }
}
