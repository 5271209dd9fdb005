package dev.vaultgate.appliance.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * The web UI's certificate until the gateway has its own: a self-signed one made once under the data directory, so
 * the UI is HTTPS from the first start. After {@code vaultgate register} the UI serves the gateway certificate.
 */
public final class SelfSignedWebCertificate {
  private SelfSignedWebCertificate() {
  }

  /** Makes {@code cert} and {@code key} for {@code gatewayName} unless both exist; blocking. */
  public static void ensure(Path cert, Path key, String gatewayName) throws IOException {
    if (Files.exists(cert) && Files.exists(key)) {
      return;
    }
    GatewayIdentity id = GatewayIdentity.generate(gatewayName);
    Instant now = Instant.now();
    X500Name name = new X500Name("O=Vaultgate gateway (self-signed web UI),CN=" + gatewayName);
    try {
      GeneralNames san = new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.dNSName, gatewayName),
          new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
          new GeneralName(GeneralName.dNSName, InetAddress.getLocalHost().getHostName())});
      var holder = new JcaX509v3CertificateBuilder(name, new BigInteger(127, new SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
          Date.from(now.plus(Duration.ofDays(825))), name, id.publicKey())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.subjectAlternativeName, false, san)
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(id.privateKey()));
      StringWriter pem = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
        w.writeObject(holder);
      }
      Files.deleteIfExists(key);
      id.writePrivateKey(key);
      Files.writeString(cert, pem.toString());
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new IOException("cannot make the web UI's self-signed certificate: " + e.getMessage(), e);
    }
  }
}
