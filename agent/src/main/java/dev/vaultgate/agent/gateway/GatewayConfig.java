package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.vsphere.VcenterEndpoint;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What a gateway agent runs with, validated once at start.
 *
 * @param coordinator       the coordinator's base URL
 * @param region            the coordinator's region (SigV4 of the registration, ARNs)
 * @param gatewayName       the name it registers under
 * @param accessKeyId       an account key that signs the registration (a gateway registers at each start
 *                          until the appliance keeps its token)
 * @param vcenter           the vCenter whose VMs it backs up
 * @param vaultLocation     the vault (a VaultLocation URL) jobs write to, until the coordinator names it per job
 * @param masterKeyFile     the key that wraps the vaults' keys; created with the first vault
 * @param stagingDir        where restores stage a disk before uploading it
 * @param maxJobs           jobs run at once (each bounded in memory by the vault engine's queues)
 * @param pollInterval      how often it asks for jobs when none waits
 * @param leaseSeconds      the lease it asks for; progress renews it about three times per lease
 * @param inventoryInterval how often it reports every VM (changes in vCenter are reported sooner)
 * @param triggerAttribute  the custom attribute that, set to {@code now} on a VM, starts a backup of it
 */
public record GatewayConfig(URI coordinator, String region, String gatewayName, String accessKeyId, String secretAccessKey,
                            VcenterEndpoint vcenter, String vaultLocation, Path masterKeyFile, Path stagingDir,
                            int maxJobs, Duration pollInterval, long leaseSeconds, Duration inventoryInterval,
                            String triggerAttribute) {
  public static final String DEFAULT_TRIGGER = "vaultgate.backup";

  public GatewayConfig {
    Objects.requireNonNull(coordinator, "coordinator");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(vcenter, "vcenter");
    Objects.requireNonNull(stagingDir, "stagingDir");
    if (accessKeyId == null || secretAccessKey == null) {
      throw new IllegalArgumentException("gateway config needs an account key (accessKeyId and secretAccessKey) to register");
    }
    if (maxJobs < 1 || maxJobs > 64) {
      throw new IllegalArgumentException("gateway config maxJobs must be 1..64, got " + maxJobs);
    }
    if (leaseSeconds < 30 || leaseSeconds > 3600) {
      throw new IllegalArgumentException("gateway config leaseSeconds must be 30..3600, got " + leaseSeconds);
    }
    if (pollInterval == null || pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("gateway config pollInterval must be positive, got " + pollInterval);
    }
    if (inventoryInterval == null || inventoryInterval.isNegative() || inventoryInterval.isZero()) {
      throw new IllegalArgumentException("gateway config inventoryInterval must be positive, got " + inventoryInterval);
    }
    if (gatewayName == null || gatewayName.isBlank()) {
      gatewayName = "gateway";
    }
    if (triggerAttribute == null || triggerAttribute.isBlank()) {
      triggerAttribute = DEFAULT_TRIGGER;
    }
  }

  /** Defaults: 4 jobs, a poll every 5 s, 5-minute leases, a full inventory every 5 minutes. */
  public static GatewayConfig of(URI coordinator, String region, String accessKeyId, String secretAccessKey, VcenterEndpoint vcenter,
                                 String vaultLocation, Path masterKeyFile, Path stagingDir) {
    return new GatewayConfig(coordinator, region, "gateway", accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, 4, Duration.ofSeconds(5), 300, Duration.ofMinutes(5), DEFAULT_TRIGGER);
  }

  public GatewayConfig withPollInterval(Duration d) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, maxJobs, d, leaseSeconds, inventoryInterval, triggerAttribute);
  }

  public GatewayConfig withMaxJobs(int n) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, n, pollInterval, leaseSeconds, inventoryInterval, triggerAttribute);
  }

  public GatewayConfig withInventoryInterval(Duration d) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, maxJobs, pollInterval, leaseSeconds, d, triggerAttribute);
  }

  public GatewayConfig withLeaseSeconds(long s) {
    return new GatewayConfig(coordinator, region, gatewayName, accessKeyId, secretAccessKey, vcenter, vaultLocation, masterKeyFile,
        stagingDir, maxJobs, pollInterval, s, inventoryInterval, triggerAttribute);
  }

  @Override
  public String toString() {
    return "GatewayConfig[" + coordinator + ", " + region + ", " + gatewayName + ", key=" + accessKeyId + ", vcenter=" + vcenter
        + ", vault=" + vaultLocation + ", maxJobs=" + maxJobs + "]"; // never the secret or the token
  }
}
