package dev.vaultgate.appliance;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Who this gateway is at its coordinator, as the activation claim said: kept in {@code dataDir/gateway.json}
 * (0600) beside the certificate, so a restarted gateway carries on as itself and never registers again.
 *
 * @param gatewayId       the coordinator's id ({@code sgw-...})
 * @param gatewayArn      its ARN ({@code arn:aws:backup-gateway:REGION:ACCOUNT:gateway/sgw-...})
 * @param gatewayEndpoint the gateway listener the claim named ({@code https://host:port}), or null
 */
public record RegisteredGateway(String gatewayId, String gatewayArn, String gatewayEndpoint) {
  public static final String FILE = "gateway.json";

  public static Path file(Path dataDir) {
    return dataDir.resolve(FILE);
  }

  /** The region in the ARN. */
  public String region() {
    String[] p = gatewayArn.split(":");
    return p.length > 3 ? p[3] : null;
  }

  /** The account in the ARN. */
  public String accountId() {
    String[] p = gatewayArn.split(":");
    return p.length > 4 ? p[4] : null;
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("gatewayId", gatewayId).put("gatewayArn", gatewayArn);
    if (gatewayEndpoint != null) o.put("gatewayEndpoint", gatewayEndpoint);
    return o;
  }

  /** The identity stored in {@code dataDir}, or empty when the gateway has not joined (blocking). */
  public static Optional<RegisteredGateway> load(Path dataDir) {
    Path f = file(dataDir);
    if (!Files.exists(f)) return Optional.empty();
    try {
      JsonObject o = new JsonObject(Files.readString(f));
      String id = o.getString("gatewayId");
      String arn = o.getString("gatewayArn");
      if (id == null || arn == null || !arn.startsWith("arn:aws:backup-gateway:")) {
        throw new IllegalStateException(f + " is not a gateway identity (gatewayId, gatewayArn): register again");
      }
      return Optional.of(new RegisteredGateway(id, arn, o.getString("gatewayEndpoint")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalStateException(f + " is not JSON: " + e.getMessage());
    }
  }
}
