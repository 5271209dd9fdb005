package dev.vaultgate.appliance.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;

/**
 * A gateway's key pair and the certificate request that asks the coordinator's gateway CA to certify it. The
 * private key never leaves the gateway: it is written once, mode 0600, next to the certificate that comes back.
 */
public final class GatewayIdentity {
  private final KeyPair keyPair;
  private final String gatewayName;

  private GatewayIdentity(KeyPair keyPair, String gatewayName) {
    this.keyPair = keyPair;
    this.gatewayName = gatewayName;
  }

  /** A fresh P-256 key pair for {@code gatewayName} (the certificate's CN). */
  public static GatewayIdentity generate(String gatewayName) {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
      gen.initialize(new ECGenParameterSpec("secp256r1"));
      return new GatewayIdentity(gen.generateKeyPair(), gatewayName);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make P-256 keys", e);
    }
  }

  public String gatewayName() {
    return gatewayName;
  }

  public PublicKey publicKey() {
    return keyPair.getPublic();
  }

  java.security.PrivateKey privateKey() {
    return keyPair.getPrivate();
  }

  /** The PKCS#10 request, signed by the private key (so the CA knows the requester holds it), in PEM. */
  public String certificateRequestPem() {
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Vaultgate gateway").addRDN(BCStyle.CN, gatewayName).build();
    try {
      PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(subject, keyPair.getPublic())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate()));
      return pem(csr);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign the certificate request of gateway " + gatewayName, e);
    }
  }

  /** The private key as PKCS#8 PEM. */
  public String privateKeyPem() {
    // PKCS#8 ("PRIVATE KEY"): what Vert.x's PEM options and openssl read; BouncyCastle's writer would emit SEC1.
    return "-----BEGIN PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(keyPair.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  /** Writes the private key to {@code file}, readable by its owner only; an existing key is never overwritten. */
  public void writePrivateKey(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, privateKeyPem(), StandardOpenOption.TRUNCATE_EXISTING);
  }

  /**
   * Checks that {@code certificatePem} is for this gateway's key: a CA that answered with someone else's
   * certificate (or a garbled one) is refused before anything is written.
   */
  public X509Certificate acceptCertificate(String certificatePem) {
    X509Certificate cert = parseCertificate(certificatePem, "the certificate issued to gateway " + gatewayName);
    if (!cert.getPublicKey().equals(keyPair.getPublic())) {
      throw new IllegalArgumentException("the certificate issued to gateway " + gatewayName + " is for another key ("
          + cert.getSubjectX500Principal().getName() + "): refused");
    }
    return cert;
  }

  /** Parses one PEM certificate; {@code what} names it in the error. */
  public static X509Certificate parseCertificate(String pem, String what) {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    } catch (CertificateException e) {
      throw new IllegalArgumentException(what + " is not a PEM X.509 certificate: " + e.getMessage());
    }
  }

  private static String pem(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }
}
