package dev.vaultgate.appliance.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the project's certs/ scripts (openssl) for tests: the same commands an operator runs. */
public final class Pki {
  static final Path CERTS = Path.of("..", "certs").toAbsolutePath().normalize();

  public final Path dir;

  private Pki(Path dir) {
    this.dir = dir;
  }

  public static Pki makeDevCa(Path dir) {
    run("make-dev-ca", "--dir", dir.toString());
    return new Pki(dir);
  }

  /** A fresh gateway key and CSR from {@link GatewayIdentity}, signed by this PKI's gateway CA into {@code name}.crt/.key. */
  public Path[] issueGateway(String name, Path where) throws IOException {
    GatewayIdentity id = GatewayIdentity.generate(name);
    Path csr = Files.writeString(where.resolve(name + ".csr"), id.certificateRequestPem());
    Path key = where.resolve(name + ".key");
    id.writePrivateKey(key);
    Path crt = where.resolve(name + ".crt");
    run("sign-gateway", "--dir", dir.toString(), csr.toString(), crt.toString());
    id.acceptCertificate(Files.readString(crt));
    return new Path[] {crt, key};
  }

  void revoke(Path cert) {
    run("revoke-gateway", "--dir", dir.toString(), cert.toString());
  }

  public static String run(String script, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(CERTS.resolve(script).toString());
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
