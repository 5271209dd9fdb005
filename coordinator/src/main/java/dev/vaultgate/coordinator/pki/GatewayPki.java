package dev.vaultgate.coordinator.pki;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The coordinator's certificates for gateways, kept in one directory: the gateway CA that signs gateways'
 * requests ({@code gateway-ca.crt}, {@code gateway-ca.key}), and the gateway listener's server certificate
 * ({@code coordinator.crt}, {@code coordinator.key}) with the CA gateways trust for it ({@code
 * coordinator-ca.crt}). Files an operator put there (e.g. from {@code certs/make-dev-ca}, or an organization's
 * CA) are used as they are; missing ones are made at first start: a gateway CA, and a self-signed server
 * certificate for loopback and this host's names, which is then its own {@code coordinator-ca.crt}. Keys are
 * written 0600. Thread-safe; the listener port is set once the listener listens.
 */
public final class GatewayPki {
  public static final Duration GATEWAY_CERTIFICATE_VALIDITY = Duration.ofDays(397);

  private final Path dir;
  private final GatewayCertificateAuthority ca;
  private final String serverCertificatePem;
  private final String serverKeyPem;
  private final String coordinatorCaPem;
  private volatile int listenerPort = -1;

  private GatewayPki(Path dir, GatewayCertificateAuthority ca, String serverCertificatePem, String serverKeyPem,
      String coordinatorCaPem) {
    this.dir = dir;
    this.ca = ca;
    this.serverCertificatePem = serverCertificatePem;
    this.serverKeyPem = serverKeyPem;
    this.coordinatorCaPem = coordinatorCaPem;
  }

  /** Reads the files in {@code dir}, making the missing ones (blocking: call it off the event loop). */
  public static GatewayPki loadOrCreate(Path dir, List<String> serverNames, Clock clock) {
    try {
      Files.createDirectories(dir);
      Path caCert = dir.resolve("gateway-ca.crt");
      Path caKey = dir.resolve("gateway-ca.key");
      GatewayCertificateAuthority ca;
      if (Files.exists(caCert) && Files.exists(caKey)) {
        ca = GatewayCertificateAuthority.load(Files.readString(caCert), Files.readString(caKey), clock);
      } else {
        ca = GatewayCertificateAuthority.create("Vaultgate gateway CA", clock);
        writePrivate(caKey, ca.privateKeyPem());
        Files.writeString(caCert, ca.certificatePem());
      }
      Path serverCert = dir.resolve("coordinator.crt");
      Path serverKey = dir.resolve("coordinator.key");
      Path coordinatorCa = dir.resolve("coordinator-ca.crt");
      if (!(Files.exists(serverCert) && Files.exists(serverKey))) {
        String[] made = selfSignedServer(serverNames, clock);
        writePrivate(serverKey, made[1]);
        Files.writeString(serverCert, made[0]);
        Files.writeString(coordinatorCa, made[0]);
      }
      if (!Files.exists(coordinatorCa)) {
        throw new IllegalArgumentException(dir + " has coordinator.crt but no coordinator-ca.crt: put the CA that"
            + " signed coordinator.crt there (gateways are given it when they join)");
      }
      return new GatewayPki(dir, ca, Files.readString(serverCert), Files.readString(serverKey),
          Files.readString(coordinatorCa));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the gateway certificates in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Loopback, and this machine's host name and address: what a self-made server certificate covers. */
  public static List<String> defaultServerNames(String listenHost) {
    Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
    if (listenHost != null && !listenHost.isBlank() && !listenHost.equals("0.0.0.0") && !listenHost.equals("::")) {
      names.add(listenHost);
    }
    try {
      InetAddress local = InetAddress.getLocalHost();
      names.add(local.getHostName());
      names.add(local.getHostAddress());
    } catch (UnknownHostException ignored) {
      // loopback only
    }
    return new ArrayList<>(names);
  }

  public GatewayCertificateAuthority ca() {
    return ca;
  }

  public Path directory() {
    return dir;
  }

  public String serverCertificatePem() {
    return serverCertificatePem;
  }

  public String serverKeyPem() {
    return serverKeyPem;
  }

  /** What gateways trust for the listener's certificate (handed to them when they join). */
  public String coordinatorCaPem() {
    return coordinatorCaPem;
  }

  public int listenerPort() {
    return listenerPort;
  }

  public void listenerPort(int port) {
    this.listenerPort = port;
  }

  /** Marks {@code serials} (hex) revoked; true when one was not revoked before (the listener then reloads its CRL). */
  public boolean revokeAll(Iterable<String> serials) {
    boolean changed = false;
    for (String hex : serials) {
      BigInteger serial = new BigInteger(hex, 16);
      if (!ca.isRevoked(serial)) {
        ca.revoke(serial);
        changed = true;
      }
    }
    return changed;
  }

  private static String[] selfSignedServer(List<String> names, Clock clock) {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
      gen.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair pair = gen.generateKeyPair();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Vaultgate")
          .addRDN(BCStyle.CN, "Vaultgate coordinator").build();
      List<GeneralName> san = new ArrayList<>();
      for (String n : names) {
        san.add(new GeneralName(n.matches("[0-9.]+|.*:.*") ? GeneralName.iPAddress : GeneralName.dNSName, n));
      }
      Instant now = clock.instant();
      // a CA certificate (path length 0) so that Java's and OpenSSL's verifiers accept it as its own trust anchor
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, new BigInteger(127, new SecureRandom()),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(3650))), subject, pair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true,
              new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyCertSign))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
          .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san.toArray(GeneralName[]::new)));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
      String key = "-----BEGIN PRIVATE KEY-----\n"
          + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pair.getPrivate().getEncoded())
          + "\n-----END PRIVATE KEY-----\n";
      return new String[] {pem(cert), key};
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot make the coordinator's gateway-listener certificate: " + e.getMessage(), e);
    }
  }

  private static void writePrivate(Path file, String pem) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".new");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(tmp);
    }
    Files.writeString(tmp, pem);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static String pem(Object o) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }
}
