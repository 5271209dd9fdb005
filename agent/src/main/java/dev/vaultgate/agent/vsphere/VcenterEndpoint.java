package dev.vaultgate.agent.vsphere;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how to log in to a vCenter.
 *
 * @param sdkUrl           https://host[:port]/sdk
 * @param user             e.g. administrator@vsphere.local
 * @param password         the user's password
 * @param thumbprintSha256 the SHA-256 thumbprint of vCenter's certificate, hex with or without colons;
 *                         the only certificate trusted (no CA, no "trust all")
 * @param timeout          connect and read timeout of each SOAP and datastore call
 */
public record VcenterEndpoint(URI sdkUrl, String user, String password, String thumbprintSha256, Duration timeout) {
  public VcenterEndpoint {
    Objects.requireNonNull(sdkUrl, "sdkUrl");
    if (!"https".equalsIgnoreCase(sdkUrl.getScheme()) || sdkUrl.getHost() == null || !sdkUrl.getPath().endsWith("/sdk")) {
      throw new IllegalArgumentException("vCenter URL must look like https://host/sdk, got " + sdkUrl);
    }
    if (user == null || user.isBlank()) {
      throw new IllegalArgumentException("vCenter user is empty");
    }
    Objects.requireNonNull(password, "password");
    thumbprintSha256 = Thumbprints.normalize(thumbprintSha256);
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      timeout = Duration.ofSeconds(60);
    }
  }

  public static VcenterEndpoint of(String sdkUrl, String user, String password, String thumbprintSha256) {
    return new VcenterEndpoint(URI.create(sdkUrl), user, password, thumbprintSha256, Duration.ofSeconds(60));
  }

  /** host:port as vCenter is reached, for messages and datastore URLs. */
  public String hostPort() {
    return sdkUrl.getPort() < 0 ? sdkUrl.getHost() : sdkUrl.getHost() + ":" + sdkUrl.getPort();
  }

  @Override
  public String toString() {
    return "VcenterEndpoint[" + sdkUrl + ", user=" + user + ", thumbprint=" + thumbprintSha256 + "]"; // never the password
  }
}
