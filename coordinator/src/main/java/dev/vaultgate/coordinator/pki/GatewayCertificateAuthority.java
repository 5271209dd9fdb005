package dev.vaultgate.coordinator.pki;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The CA whose certificates the coordinator's gateway listener accepts. It signs a gateway's PKCS#10 request
 * once the gateway has proved an activation key (that check is the claim endpoint's, not this class's): the
 * request's own signature proves the gateway holds the private key, and the certificate's subject is the
 * name the coordinator chose, whatever the request asked for. Revoked serials go into the CRL the listener
 * loads. Thread-safe; signing is CPU work, so callers on an event loop run it on a worker.
 *
 * <p>How it plugs into {@code POST /agent/v1/activations/claim}: the claim body carries
 * {@code {"activationKey", "gatewayName", "certificateRequest": PEM}}; after the key is checked and spent
 * the handler calls {@link #sign} and answers {@code {"gatewayId", "certificate": PEM, "caCertificate": PEM}}
 * with {@link #certificatePem()} (the gateway CA, so the gateway can show its chain) and stores
 * {@link IssuedCertificate#serial()} with the gateway, so that deleting the gateway can {@link #revoke} it.
 */
public final class GatewayCertificateAuthority {
  static final Pattern GATEWAY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  /** Below these, a request's key is refused: the listener would be only as strong as the weakest gateway. */
  private static final int MIN_RSA_BITS = 2048;
  private static final int MIN_EC_BITS = 256;

  private final X509Certificate certificate;
  private final PrivateKey key;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<BigInteger, Instant> revoked = new ConcurrentHashMap<>();

  private GatewayCertificateAuthority(X509Certificate certificate, PrivateKey key, Clock clock) {
    this.certificate = certificate;
    this.key = key;
    this.clock = clock;
  }

  /** A new self-signed gateway CA (P-256, ten years): what an embedded or development coordinator makes at first start. */
  public static GatewayCertificateAuthority create(String commonName, Clock clock) {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
      gen.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair pair = gen.generateKeyPair();
      X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Vaultgate").addRDN(BCStyle.CN, commonName).build();
      Instant now = clock.instant();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(127, new SecureRandom()),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(3650))), name, pair.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(pair.getPrivate())));
      return new GatewayCertificateAuthority(cert, pair.getPrivate(), clock);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot make a gateway CA: " + e.getMessage(), e);
    }
  }

  /** An existing CA (an organization's intermediate, or one made by certs/make-dev-ca): its certificate and PKCS#8 or SEC1 key in PEM. */
  public static GatewayCertificateAuthority load(String certificatePem, String privateKeyPem, Clock clock) {
    X509Certificate cert;
    PrivateKey key;
    try (PEMParser certs = new PEMParser(new StringReader(certificatePem)); PEMParser keys = new PEMParser(new StringReader(privateKeyPem))) {
      Object c = certs.readObject();
      if (!(c instanceof org.bouncycastle.cert.X509CertificateHolder holder)) {
        throw new IllegalArgumentException("the gateway CA certificate is not a PEM certificate");
      }
      cert = new JcaX509CertificateConverter().getCertificate(holder);
      Object k = keys.readObject();
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      if (k instanceof PEMKeyPair pair) {
        key = conv.getPrivateKey(pair.getPrivateKeyInfo());
      } else if (k instanceof PrivateKeyInfo info) {
        key = conv.getPrivateKey(info);
      } else {
        throw new IllegalArgumentException("the gateway CA key is not an unencrypted PEM private key");
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the gateway CA: " + e.getMessage(), e);
    }
    if (cert.getBasicConstraints() < 0) {
      throw new IllegalArgumentException("the gateway CA certificate " + cert.getSubjectX500Principal().getName() + " is not a CA certificate");
    }
    return new GatewayCertificateAuthority(cert, key, clock);
  }

  /**
   * Signs {@code requestPem} for gateway {@code gatewayName}, valid for {@code validity}. The request must be
   * PEM, signed by the key it carries (proof of possession) and carry a key of at least P-256 or RSA 2048.
   */
  public IssuedCertificate sign(String requestPem, String gatewayName, Duration validity) {
    if (!GATEWAY_NAME.matcher(gatewayName).matches()) {
      throw new CertificateRequestException("gateway name '" + gatewayName + "' is not 1-63 letters, digits, '.', '_' or '-'");
    }
    PublicKey publicKey = checkRequest(requestPem, gatewayName);
    Instant now = clock.instant();
    Instant notAfter = now.plus(validity);
    BigInteger serial = new BigInteger(127, random).setBit(126); // positive, 16 bytes, never 0
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Vaultgate gateway").addRDN(BCStyle.CN, gatewayName).build();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial, Date.from(now.minus(Duration.ofMinutes(5))),
          Date.from(notAfter), subject, publicKey)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
          .addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth}))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(publicKey))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(key)));
      return new IssuedCertificate(gatewayName, serial, notAfter, pem(cert));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot sign the certificate of gateway " + gatewayName + ": " + e.getMessage(), e);
    }
  }

  /**
   * Checks a request as {@link #sign} would, without signing: PEM PKCS#10, signed by the key it carries, a
   * strong enough key, a valid gateway name. Its public key; a {@link CertificateRequestException} otherwise.
   */
  public PublicKey checkRequest(String requestPem, String gatewayName) {
    if (!GATEWAY_NAME.matcher(gatewayName).matches()) {
      throw new CertificateRequestException("gateway name '" + gatewayName + "' is not 1-63 letters, digits, '.', '_' or '-'");
    }
    JcaPKCS10CertificationRequest request = parseRequest(requestPem, gatewayName);
    PublicKey publicKey;
    try {
      publicKey = request.getPublicKey();
      if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey))) {
        throw new CertificateRequestException("the certificate request of gateway " + gatewayName
            + " is not signed by the key it carries: refused");
      }
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
      throw new CertificateRequestException("cannot verify the certificate request of gateway " + gatewayName + ": " + e.getMessage());
    }
    checkKeyStrength(publicKey, gatewayName);
    return publicKey;
  }

  /** Revokes {@code serial}: the next {@link #crlPem()} lists it. Revoking twice keeps the first date. */
  public void revoke(BigInteger serial) {
    revoked.putIfAbsent(serial, clock.instant());
  }

  public boolean isRevoked(BigInteger serial) {
    return revoked.containsKey(serial);
  }

  /** The CRL of every revoked serial, signed now, valid for a day: the listener reloads it at least that often. */
  public String crlPem() {
    return pem(crl());
  }

  public X509CRL crl() {
    Instant now = clock.instant();
    X509v2CRLBuilder b = new X509v2CRLBuilder(
        X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), Date.from(now));
    b.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
    revoked.forEach((serial, when) -> b.addCRLEntry(serial, Date.from(when), CRLReason.keyCompromise));
    try {
      X509CRLHolder holder = b.build(signer(key));
      return new JcaX509CRLConverter().getCRL(holder);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign the gateway CRL: " + e.getMessage(), e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The CA certificate in PEM: the trust the gateway listener loads. */
  public String certificatePem() {
    return pem(certificate);
  }

  /** The CA key in PKCS#8 PEM, for the coordinator to store (encrypted at rest by whoever stores it). */
  public String privateKeyPem() {
    return "-----BEGIN PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  private static JcaPKCS10CertificationRequest parseRequest(String pem, String gatewayName) {
    try (PEMParser parser = new PEMParser(new StringReader(pem == null ? "" : pem))) {
      Object o = parser.readObject();
      if (o instanceof PKCS10CertificationRequest r) {
        return new JcaPKCS10CertificationRequest(r);
      }
    } catch (IOException | RuntimeException e) {
      throw new CertificateRequestException("the certificate request of gateway " + gatewayName + " is not a PEM PKCS#10 request: "
          + e.getMessage());
    }
    throw new CertificateRequestException("the certificate request of gateway " + gatewayName
        + " is not a PEM PKCS#10 request (expected -----BEGIN CERTIFICATE REQUEST-----)");
  }

  private static void checkKeyStrength(PublicKey key, String gatewayName) {
    int bits;
    if (key instanceof ECPublicKey ec) {
      bits = ec.getParams().getOrder().bitLength();
      if (bits >= MIN_EC_BITS) {
        return;
      }
    } else if (key instanceof RSAPublicKey rsa) {
      bits = rsa.getModulus().bitLength();
      if (bits >= MIN_RSA_BITS) {
        return;
      }
    } else {
      throw new CertificateRequestException("the certificate request of gateway " + gatewayName + " has a " + key.getAlgorithm()
          + " key: expected EC (P-256 or larger) or RSA (2048 bits or more)");
    }
    throw new CertificateRequestException("the certificate request of gateway " + gatewayName + " has a " + bits + "-bit "
        + key.getAlgorithm() + " key: expected EC P-256 or larger, or RSA 2048 bits or more");
  }

  private static ContentSigner signer(PrivateKey key) {
    try {
      return new JcaContentSignerBuilder(key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA").build(key);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign with the gateway CA key: " + e.getMessage(), e);
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

  /** The CN of a certificate's subject, e.g. to name the gateway of a TLS connection. */
  public static String commonName(X509Certificate cert) {
    X500Name name = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    RDN[] cn = name.getRDNs(BCStyle.CN);
    return cn.length == 0 ? "" : IETFUtils.valueToString(cn[0].getFirst().getValue());
  }
}
