package dev.vaultgate.appliance.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The validated config of one gateway ({@code appliance.conf}); see {@link ApplianceConfigParser} for the format.
 * Every value here has been checked: code that gets one never validates it again.
 */
public record ApplianceConfig(
    String gatewayName,
    URI coordinatorUrl,
    Path dataDir,
    Vault vault,
    Optional<S3Credentials> s3,
    Tls tls,
    WebUi webUi,
    int maxConcurrentJobs,
    List<LocalVolume> localVolumes,
    Bandwidth bandwidth,
    Optional<Kms> kms) {

  /** A config without a KMS: every vault's keys are wrapped by the master key file. */
  public ApplianceConfig(String gatewayName, URI coordinatorUrl, Path dataDir, Vault vault, Optional<S3Credentials> s3, Tls tls,
      WebUi webUi, int maxConcurrentJobs, List<LocalVolume> localVolumes, Bandwidth bandwidth) {
    this(gatewayName, coordinatorUrl, dataDir, vault, s3, tls, webUi, maxConcurrentJobs, localVolumes, bandwidth, Optional.empty());
  }

  /**
   * Where recovery points go, and what wraps the vault's keys: the KMS key {@code kmsKeyArn} through the config's
   * {@code kms} when given (the vault is then created with it on first use), else the master key file.
   */
  public record Vault(String url, Path masterKeyFile, Optional<String> kmsKeyArn) {
    /** A vault whose keys the master key file wraps. */
    public Vault(String url, Path masterKeyFile) {
      this(url, masterKeyFile, Optional.empty());
    }
  }

  /** The gateway's S3 credentials (write-only in production: deletion is the coordinator's). */
  public record S3Credentials(String accessKeyId, String secretAccessKey) {
    @Override
    public String toString() {
      return "S3Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***]";
    }
  }

  /**
   * The KMS that wraps the keys of vaults created with an EncryptionKeyArn: the coordinator's KMS API, or AWS KMS
   * ({@code endpoint} empty). Credentials both or neither (neither: the AWS SDK's default chain).
   */
  public record Kms(Optional<URI> endpoint, String region, Optional<String> accessKeyId, Optional<String> secretAccessKey) {
    @Override
    public String toString() {
      return "Kms[endpoint=" + endpoint.map(URI::toString).orElse("AWS") + ", region=" + region + ", accessKeyId="
          + accessKeyId.orElse("(default chain)") + ", secretAccessKey=***]";
    }
  }

  /** The gateway's certificate and key (PEM) and the CA that signed the coordinator's certificate. */
  public record Tls(Path certificateFile, Path privateKeyFile, Path coordinatorCaFile) {
  }

  /** The local web UI: its port and the PBKDF2 hash of the admin password. */
  public record WebUi(String host, int port, String adminPasswordHash) {
    @Override
    public String toString() {
      return "WebUi[host=" + host + ", port=" + port + ", adminPasswordHash=***]";
    }
  }

  /** An image file or block device protected like a VM, with its tags. */
  public record LocalVolume(String name, Path path, Map<String, String> tags) {
  }

  /** Upload rate limits: a default (empty = unlimited) and intervals of the week that set another. */
  public record Bandwidth(Optional<Long> uploadBitsPerSecond, List<Interval> schedule) {
    public static final Bandwidth UNLIMITED = new Bandwidth(Optional.empty(), List.of());
  }

  /** From {@code start} to {@code end} on each of {@code days}, uploads are held to {@code uploadBitsPerSecond}. */
  public record Interval(Set<DayOfWeek> days, LocalTime start, LocalTime end, long uploadBitsPerSecond) {
  }
}
