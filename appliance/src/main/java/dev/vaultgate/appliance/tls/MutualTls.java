package dev.vaultgate.appliance.tls;

import dev.vaultgate.appliance.config.ApplianceConfig;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS options of the gateway: the client side of the mutual-TLS link to the coordinator (the gateway presents
 * its certificate and trusts only the coordinator's CA, checking the host name), and the web UI's server,
 * which presents the same certificate.
 */
public final class MutualTls {
  private MutualTls() {
  }

  /** Options for the HTTP client that talks to the coordinator. */
  public static HttpClientOptions coordinatorClient(ApplianceConfig.Tls tls) {
    requireFile(tls.certificateFile(), "gateway certificate");
    requireFile(tls.privateKeyFile(), "gateway private key");
    requireFile(tls.coordinatorCaFile(), "coordinator CA certificate");
    return new HttpClientOptions()
        .setSsl(true)
        .setVerifyHost(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certificateFile().toString()).setKeyPath(tls.privateKeyFile().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(tls.coordinatorCaFile().toString()));
  }

  /** Options for the web UI's HTTPS server: the gateway's own certificate, no client certificate asked. */
  public static HttpServerOptions webUiServer(Path certificateFile, Path privateKeyFile, String host, int port) {
    requireFile(certificateFile, "web UI certificate");
    requireFile(privateKeyFile, "web UI private key");
    return new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(certificateFile.toString()).setKeyPath(privateKeyFile.toString()));
  }

  private static void requireFile(Path file, String what) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("cannot read the " + what + " " + file + (Files.exists(file) ? ": permission denied"
          : ": no such file (run 'vaultgate register' to join a coordinator)"));
    }
  }
}
