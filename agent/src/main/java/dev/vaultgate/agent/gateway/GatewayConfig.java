package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.vsphere.VcenterEndpoint;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * What a gateway agent runs with, validated once at start.
 *
 * @param coordinator       the coordinator's base URL
 * @param region            the coordinator's region (SigV4 of the registration, ARNs)
 * @param gatewayName       the name it registers under
 * @param accessKeyId       an account key that signs the registration (a gateway registers at each start);
 *                          null for a gateway that joined already (the appliance: mutual TLS, see
 *                          {@link GatewayAgent#start(io.vertx.core.Vertx, GatewayConfig, CoordinatorClient, GatewayAgent.Joined)})
 * @param vcenter           a vCenter given here rather than through the backup-gateway API (null: the hypervisor
 *                          the coordinator associates with this gateway, handed over by the heartbeat)
 * @param vaultLocation     the vault (a VaultLocation URL) of jobs that name none
 * @param masterKeyFile     the key that wraps the vaults' keys; created with the first vault
 * @param stagingDir        where restores stage a disk before uploading it
 * @param stateDir          what the gateway keeps between runs (the vCenter thumbprints it pinned)
 * @param thumbprints       vCenter host[:port] → SHA-256 thumbprint to pin, instead of trusting the first seen
 * @param maxJobs           jobs run at once (each bounded in memory by the vault engine's queues)
 * @param pollInterval      how often it asks for jobs when none waits
 * @param heartbeatInterval the longest time between heartbeats (the coordinator may ask for shorter)
 * @param leaseSeconds      the lease it asks for; progress renews it about three times per lease
 * @param inventoryInterval how often it reports every VM (changes in vCenter are reported sooner)
 * @param triggerAttribute  the custom attribute that, set to {@code now} on a VM, starts a backup of it
 * @param s3Credentials     the credentials of S3 vaults; null: the AWS SDK's default chain (environment, profile,
 *                          instance role)
 * @param kms               the KMS that wraps the keys of vaults created with an EncryptionKeyArn (the coordinator's
 *                          KMS API or AWS KMS); null: such vaults cannot be opened here, and their jobs fail saying so
 */
public record GatewayConfig(URI coordinator, String region, String gatewayName, String accessKeyId, String secretAccessKey,
                            VcenterEndpoint vcenter, String vaultLocation, Path masterKeyFile, Path stagingDir, Path stateDir,
                            Map<String, String> thumbprints, int maxJobs, Duration pollInterval, Duration heartbeatInterval,
                            long leaseSeconds, Duration inventoryInterval, String triggerAttribute,
                            AwsCredentialsProvider s3Credentials, Kms kms) {
  public static final String DEFAULT_TRIGGER = "vaultgate.backup";

  /**
   * A KMS endpoint (AWS KMS's API: Encrypt, Decrypt, DescribeKey) and who signs its calls.
   *
   * @param endpoint    the KMS's URL; null: AWS KMS of {@code region}
   * @param credentials null: the AWS SDK's default chain
   */
  public record Kms(URI endpoint, String region, AwsCredentialsProvider credentials) {
    public Kms {
      Objects.requireNonNull(region, "kms region");
    }

    /** How errors name this KMS. */
    public String describe() {
      return endpoint != null ? endpoint.toString() : "AWS KMS " + region;
    }
  }

  public GatewayConfig {
    Objects.requireNonNull(coordinator, "coordinator");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(stagingDir, "stagingDir");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(masterKeyFile, "masterKeyFile");
    if (maxJobs < 1 || maxJobs > 64) {
      throw new IllegalArgumentException("gateway config maxJobs must be 1..64, got " + maxJobs);
    }
    if (leaseSeconds < 30 || leaseSeconds > 3600) {
      throw new IllegalArgumentException("gateway config leaseSeconds must be 30..3600, got " + leaseSeconds);
    }
    for (var d : Map.of("pollInterval", pollInterval == null ? Duration.ZERO : pollInterval,
        "heartbeatInterval", heartbeatInterval == null ? Duration.ZERO : heartbeatInterval,
        "inventoryInterval", inventoryInterval == null ? Duration.ZERO : inventoryInterval).entrySet()) {
      if (d.getValue().isNegative() || d.getValue().isZero()) {
        throw new IllegalArgumentException("gateway config " + d.getKey() + " must be positive, got " + d.getValue());
      }
    }
    if (gatewayName == null || gatewayName.isBlank()) {
      gatewayName = "gateway";
    }
    if (triggerAttribute == null || triggerAttribute.isBlank()) {
      triggerAttribute = DEFAULT_TRIGGER;
    }
    Map<String, String> pins = new TreeMap<>();
    (thumbprints == null ? Map.<String, String>of() : thumbprints).forEach((k, v) -> pins.put(k.toLowerCase(Locale.ROOT), v));
    thumbprints = Map.copyOf(pins);
  }

  /**
   * Defaults: the vCenter from the coordinator, state and staging under {@code stateDir}, 4 jobs, a poll every
   * 5 s, heartbeats at most 30 s apart, 5-minute leases, a full inventory every 5 minutes.
   */
  public static GatewayConfig of(URI coordinator, String region, String accessKeyId, String secretAccessKey, Path stateDir) {
    return new GatewayConfig(coordinator, region, "gateway", accessKeyId, secretAccessKey, null, null, stateDir.resolve("master.key"),
        stateDir.resolve("staging"), stateDir, Map.of(), 4, Duration.ofSeconds(5), Duration.ofSeconds(30), 300, Duration.ofMinutes(5),
        DEFAULT_TRIGGER, null, null);
  }

  public GatewayConfig withVcenter(VcenterEndpoint v) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, v, vaultLocation, masterKeyFile, stagingDir,
        stateDir, thumbprints, maxJobs, pollInterval, heartbeatInterval, leaseSeconds, inventoryInterval, triggerAttribute, s3Credentials, kms);
  }

  public GatewayConfig withName(String name) {
    return new GatewayConfig(coordinator, region, name, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile, stagingDir,
        stateDir, thumbprints, maxJobs, pollInterval, heartbeatInterval, leaseSeconds, inventoryInterval, triggerAttribute, s3Credentials, kms);
  }

  public GatewayConfig withThumbprints(Map<String, String> pins) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, stateDir, pins, maxJobs, pollInterval, heartbeatInterval, leaseSeconds, inventoryInterval, triggerAttribute, s3Credentials, kms);
  }

  public GatewayConfig withMaxJobs(int n) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, stateDir, thumbprints, n, pollInterval, heartbeatInterval, leaseSeconds, inventoryInterval, triggerAttribute, s3Credentials, kms);
  }

  /** Poll, heartbeat and inventory intervals. */
  public GatewayConfig withIntervals(Duration poll, Duration heartbeat, Duration inventory) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, stateDir, thumbprints, maxJobs, poll, heartbeat, leaseSeconds, inventory, triggerAttribute, s3Credentials, kms);
  }

  public GatewayConfig withLeaseSeconds(long s) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, stateDir, thumbprints, maxJobs, pollInterval, heartbeatInterval, s, inventoryInterval, triggerAttribute, s3Credentials, kms);
  }

  public GatewayConfig withS3Credentials(AwsCredentialsProvider credentials) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, stateDir, thumbprints, maxJobs, pollInterval, heartbeatInterval, leaseSeconds, inventoryInterval, triggerAttribute,
        credentials, kms);
  }

  /** The KMS of vaults created with an EncryptionKeyArn. */
  public GatewayConfig withKms(Kms k) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, stateDir, thumbprints, maxJobs, pollInterval, heartbeatInterval, leaseSeconds, inventoryInterval, triggerAttribute,
        s3Credentials, k);
  }

  @Override
  public String toString() {
    return "GatewayConfig[" + coordinator + ", " + region + ", " + gatewayName + ", key=" + accessKeyId + ", vcenter=" + vcenter
        + ", vault=" + vaultLocation + ", kms=" + (kms == null ? null : kms.describe()) + ", maxJobs=" + maxJobs + "]"; // never the secret or the token
  }
}
